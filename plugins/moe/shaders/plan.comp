#version 450
// plan.comp -- step 3 of the counting sort, one invocation: each expert's
// first row (rows are grouped by expert, experts in order) and the tile list
// the grouped GEMMs walk: one entry (expert, first row) per MM_TM rows of an
// expert, so an expert with no rows costs no tile and a decode batch touches
// only the selected experts' weights.
//
// Bindings: 0 kept uint[experts], 1 first_row uint[experts + 1],
// 2 first_tile uint[experts + 1], 3 tiles uvec2[].
layout(local_size_x = 1) in;

layout(constant_id = 0) const uint TILE_ROWS = 8;  // the GEMMs' MM_TM

layout(push_constant) uniform Push { uint experts; } pc;

layout(std430, set = 0, binding = 0) readonly buffer Kept { uint kept[]; };
layout(std430, set = 0, binding = 1) writeonly buffer FirstRow { uint first_row[]; };
layout(std430, set = 0, binding = 2) writeonly buffer FirstTile { uint first_tile[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Tiles { uvec2 tiles[]; };

void main() {
  uint row = 0u, tile = 0u;
  for (uint e = 0; e < pc.experts; ++e) {
    first_row[e] = row;
    first_tile[e] = tile;
    for (uint r = 0; r < kept[e]; r += TILE_ROWS) tiles[tile++] = uvec2(e, row + r);
    row += kept[e];
  }
  first_row[pc.experts] = row;
  first_tile[pc.experts] = tile;
}
