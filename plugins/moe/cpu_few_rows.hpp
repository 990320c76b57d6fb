// The CPU expert matmul for a few rows (decode): out[r, c0:c1] = rows[r, :] x W[:, c0:c1]
// with W read in place in its own dtype (f32 or bf16), so a token streams exactly
// its experts' weight bytes, once, and nothing is widened or packed beforehand.
// One call covers one column range; the caller spreads ranges over threads.
#pragma once

#include <archbench/plugin_abi.h>

#include <cstdint>

namespace archbench::plugins::moe {

// rows: n x k (row stride k), f32. weights: k x ld_w row-major in `dtype`
// (AB_DTYPE_F32 or AB_DTYPE_BF16), starting at element 0 of `weights`.
// out: n x ld_out, f32; columns [c0, c1) are overwritten. Any n works; the
// weights are read once per 4 rows.
void few_rows_times_weight(const float* rows, int64_t n, int64_t k, const void* weights, ab_dtype dtype, int64_t ld_w,
                           float* out, int64_t ld_out, int64_t c0, int64_t c1);

}  // namespace archbench::plugins::moe
