// Vulkan implementation of the MoE variants: cpu.cpp's steps as dispatches,
// all recorded once and replayed, routing decided and applied on the device
// (nothing read back, no per-expert host work):
//
//   0. bf16 only: x widened to f32 (widen.comp)
//   1. router logits: a dense GEMM, x [tokens, d_model] x W_router^T (grouped_matmul.comp)
//   2. route.comp: scores, group mask, top-k, weights; the three router outputs
//   3. counting sort by expert in token order, with the capacity:
//      count.comp (per chunk) -> expert_scan.comp (per expert) -> plan.comp
//      (first rows, tile list) -> place.comp (each assignment's row, or dropped)
//   4. grouped GEMMs over the plan: gate|up with the activation fused
//      (Llama 4's input weight applied before it), then down
//   5. shared experts: the same shader in dense mode; then combine.comp sums
//      each token's kept slots and the shared output (no float atomics)
//
// Storage: the problem's tensors in f32 or bf16 (x, weights, y); everything
// between the steps is f32, as in cpu.cpp. bf16 writes y in pairs, so it
// needs an even d_model.
#include <archbench/sdk_vulkan_matmul.hpp>

#include "moe.hpp"
#include "vulkan_grouped_matmul.hpp"
#include "spirv/moe_combine.hpp"
#include "spirv/moe_combine_bf16.hpp"
#include "spirv/moe_count.hpp"
#include "spirv/moe_expert_scan.hpp"
#include "spirv/moe_gemm_gated_bf16_direct.hpp"
#include "spirv/moe_gemm_gated_bf16_rows1.hpp"
#include "spirv/moe_gemm_gated_bf16_subgroup.hpp"
#include "spirv/moe_gemm_gated_direct.hpp"
#include "spirv/moe_gemm_gated_rows1.hpp"
#include "spirv/moe_gemm_gated_subgroup.hpp"
#include "spirv/moe_gemm_plain_bf16_direct.hpp"
#include "spirv/moe_gemm_plain_bf16_rows1.hpp"
#include "spirv/moe_gemm_plain_bf16_subgroup.hpp"
#include "spirv/moe_gemm_plain_direct.hpp"
#include "spirv/moe_gemm_plain_rows1.hpp"
#include "spirv/moe_gemm_plain_subgroup.hpp"
#include "spirv/moe_place.hpp"
#include "spirv/moe_plan.hpp"
#include "spirv/moe_route.hpp"
#include "spirv/moe_widen.hpp"

#include <algorithm>
#include <bit>

namespace archbench::plugins::moe {
namespace {

// Must match the MM_TM / MM_TN defines of the GEMM builds in CMakeLists.txt.
constexpr uint32_t kGatedTn = MOE_GATED_TN, kPlainTn = MOE_PLAIN_TN;

// The GEMM build and its tiling: gated (gate|up, activation) or plain; f32 or
// bf16 weights; the subgroup path or the direct one (devices without
// suitable subgroups, and the one-row tiles: a lone row needs no exchange).
struct Gemm {
  sv::Spirv spirv;
  sv::MatmulTiling tiling;
};
Gemm gemm(bool gated, bool bf16, bool subgroups, bool one_row) {
#define MOE_GEMM_BUILDS(kind)                                                                                  \
  {ARCHBENCH_SPIRV(moe_gemm_##kind##_direct), ARCHBENCH_SPIRV(moe_gemm_##kind##_subgroup),                     \
   ARCHBENCH_SPIRV(moe_gemm_##kind##_rows1), ARCHBENCH_SPIRV(moe_gemm_##kind##_bf16_direct),                   \
   ARCHBENCH_SPIRV(moe_gemm_##kind##_bf16_subgroup), ARCHBENCH_SPIRV(moe_gemm_##kind##_bf16_rows1)}
  static const sv::Spirv gated_builds[6] = MOE_GEMM_BUILDS(gated), plain_builds[6] = MOE_GEMM_BUILDS(plain);
#undef MOE_GEMM_BUILDS
  const int path = one_row ? 2 : subgroups ? 1 : 0;
  sv::MatmulTiling tiling{one_row ? 1u : 8u, gated ? kGatedTn : kPlainTn, 1, gated, bf16};
  return {(gated ? gated_builds : plain_builds)[(bf16 ? 3 : 0) + path], tiling};
}

uint32_t u32(int64_t v) { return uint32_t(v); }
uint32_t flag(bool on) { return on ? 1u : 0u; }
uint32_t ceil_div(uint64_t a, uint64_t b) { return uint32_t((a + b - 1) / b); }

// Workgroups for `items` one-per-invocation (64 lanes), as (x, y) under the portable limit.
std::pair<uint32_t, uint32_t> flat_grid(const char* what, uint64_t items) {
  const uint64_t groups = std::max<uint64_t>(1, (items + 63) / 64);
  const auto x = uint32_t(std::min<uint64_t>(groups, 32768)), y = ceil_div(groups, x);
  sv::require_groups(what, x, y);
  return {x, y};
}

// The push constants of the small shaders (their `Push` blocks).
struct WidenPush { uint32_t words; };
struct RoutePush { uint32_t tokens; };
struct CountPush { uint32_t experts, assignments, chunk, chunks; };
struct ScanPush { uint32_t experts, chunks, capacity; };
struct PlanPush { uint32_t experts; };
struct PlacePush { uint32_t experts, top_k, assignments, chunk, chunks, capacity; };
struct CombinePush { uint32_t tokens, d_model; };

// One dispatch of a small shader, bound once.
template <class Push>
struct Step {
  std::unique_ptr<sv::Kernel> kernel;
  VkDescriptorSet set = VK_NULL_HANDLE;
  Push push{};
  uint32_t x = 1, y = 1, z = 1;

  void record(VkCommandBuffer cmd) const { kernel->dispatch(cmd, set, push, x, y, z); }
};

class MoeVulkan : public sdk::Instance {
 public:
  MoeVulkan(const MoeVariant& variant, const sdk::Problem& problem, const ab_host& host, const sdk::Tensors& tensors)
      : s_(Shape::of(problem)), router_(variant.router()), device_(sv::Device::from(host)), dummy_(device_, 16) {
    bf16_ = problem.dtype() == AB_DTYPE_BF16;
    if (!bf16_ && problem.dtype() != AB_DTYPE_F32)
      throw sdk::Unimplemented(std::string(variant.name()) + " on Vulkan: f32 and bf16 storage only");
    if (bf16_) build_as<uint16_t>(tensors);
    else build_as<float>(tensors);
  }

  void record(void* command_buffer) override {
    const auto cmd = static_cast<VkCommandBuffer>(command_buffer);
    if (widen_.kernel) {
      widen_.record(cmd);
      sv::compute_barrier(cmd);
    }
    router_gemm_->record(cmd);
    if (shared_up_) shared_up_->record(cmd);  // independent of the routing
    sv::compute_barrier(cmd);
    route_.record(cmd);
    if (shared_down_) shared_down_->record(cmd);
    sv::compute_barrier(cmd);
    count_.record(cmd);
    sv::compute_barrier(cmd);
    expert_scan_.record(cmd);
    sv::compute_barrier(cmd);
    plan_.record(cmd);
    sv::compute_barrier(cmd);
    place_.record(cmd);
    sv::compute_barrier(cmd);
    up_->record(cmd);
    sv::compute_barrier(cmd);
    down_->record(cmd);
    sv::compute_barrier(cmd);
    combine_.record(cmd);
  }

 private:
  sv::Buffer scratch(const char* what, uint64_t bytes) {
    device_.require_bindable(what, bytes);
    return sv::Buffer(device_, bytes);
  }
  template <class Push>
  Step<Push> small(sv::Spirv spirv, const std::vector<sv::Binding>& bindings, const Push& push,
                   const sv::Specialization& constants = {}) {
    Step<Push> step;
    step.kernel = std::make_unique<sv::Kernel>(device_, spirv, uint32_t(bindings.size()), uint32_t(sizeof(Push)),
                                               constants, 1);
    step.set = step.kernel->bind(bindings);
    step.push = push;
    return step;
  }

  // E: the storage element of the problem's tensors (float or bf16 bits).
  template <class E>
  void build_as(const sdk::Tensors& tensors) {
    const int64_t T = s_.tokens, D = s_.d_model, X = s_.experts, K = s_.top_k, F = s_.expert_ff;
    const int64_t assignments = T * K, capacity = s_.capacity();
    const int64_t rows_per_expert = std::min(T, capacity);  // an expert appears once per token at most
    const int64_t rows = std::min(assignments, X * rows_per_expert);
    const int64_t tile = rows_per_expert == 1 ? 1 : 8;  // the routed GEMMs' MM_TM
    const int64_t max_tiles = std::min((rows + tile - 1) / tile + X, X * ((rows_per_expert + tile - 1) / tile));
    // Chunks of the counting sort: at least 64 assignments, at most 4M counters.
    const int64_t chunk = std::max<int64_t>(64, (assignments * X + (1 << 22) - 1) / (1 << 22));
    const int64_t chunks = (assignments + chunk - 1) / chunk;

    const sv::Binding x = sv::Binding::of(device_, tensors["x"]), y = sv::Binding::of(device_, tensors["y"]);
    const sv::Binding dummy = sv::Binding::of(dummy_);
    device_.require_bindable("the moe input", uint64_t(T * D) * sizeof(E));
    // bf16 storage words of x and y: T * D elements two to a word, the last
    // word half padding when T * D is odd (device tensors are whole words).
    const int64_t words = (T * D + 1) / 2;
    if (bf16_) x32_ = scratch("the f32 copy of x", uint64_t(words) * 8);
    const sv::Binding x32 = bf16_ ? sv::Binding::of(x32_) : x;
    logits_ = scratch("the router logits", uint64_t(T * X) * 4);
    chosen_ = scratch("the chosen weights", uint64_t(assignments) * 4);
    if (s_.groups > 1) group_scores_ = scratch("the group scores", uint64_t(T * s_.groups) * 4);
    chunk_counts_ = scratch("the counting sort's chunk counts", uint64_t(chunks * X) * 4);
    kept_ = scratch("the expert loads", uint64_t(X) * 4);
    first_row_ = scratch("the expert first rows", uint64_t(X + 1) * 4);
    first_tile_ = scratch("the expert first tiles", uint64_t(X + 1) * 4);
    tiles_ = scratch("the tile list", uint64_t(max_tiles) * 8);
    row_of_ = scratch("the assignment rows", uint64_t(assignments) * 4);
    row_token_ = scratch("the row tokens", uint64_t(rows) * 4);
    row_weight_ = scratch("the row weights", uint64_t(rows) * 4);
    hidden_ = scratch("the experts' hidden activations", uint64_t(rows * F) * 4);
    expert_out_ = scratch("the experts' outputs", uint64_t(rows * D) * 4);
    const PlanBindings plan{sv::Binding::of(first_row_), sv::Binding::of(first_tile_), sv::Binding::of(tiles_),
                            sv::Binding::of(row_token_), sv::Binding::of(row_weight_)};
    const PlanBindings no_plan{dummy, dummy, dummy, dummy, dummy};

    // One-row tiles where every tile would hold a single row: the dense GEMMs
    // of a one-token batch, the routed ones when no expert can get two rows.
    const bool subgroups = sv::matmul_uses_subgroups(device_);
    const Gemm dense_gated = gemm(true, bf16_, subgroups, T == 1), dense_plain = gemm(false, bf16_, subgroups, T == 1);
    const Gemm routed_gated = gemm(true, bf16_, subgroups, rows_per_expert == 1),
               routed_plain = gemm(false, bf16_, subgroups, rows_per_expert == 1);
    const uint32_t act = 1 + uint32_t(s_.activation);  // the shader's ACT: 0 is none
    const auto weights = [&](const char* name) { return static_cast<const E*>(tensors[name].data); };
    const sv::Specialization linear{0, 0, 0};

    // 0-1: x in f32, router logits = x W_router^T (B is W_router transposed: [d_model, experts]).
    if (bf16_) {
      const auto [gx, gy] = flat_grid("the moe widen step", uint64_t(words));
      widen_ = small(ARCHBENCH_SPIRV(moe_widen), {x, x32}, WidenPush{u32(words)});
      widen_.x = gx, widen_.y = gy;
    }
    std::vector<E> router_t(size_t(D * X));
    const E* w_router = weights("w_router");
    for (int64_t e = 0; e < X; ++e)
      for (int64_t d = 0; d < D; ++d) router_t[size_t(d * X + e)] = w_router[e * D + d];
    router_gemm_ = std::make_unique<GroupedMatmul>(device_, dense_plain.spirv, dense_plain.tiling, linear,
                                                   GroupedMatmulShape{1, u32(D), u32(X), u32(T), 0, 0},
                                                   router_t.data(), static_cast<const E*>(nullptr), x32,
                                                   sv::Binding::of(logits_), no_plan);

    // 2: routing.
    {
      const auto [gx, gy] = flat_grid("the moe router", uint64_t(T));
      const bool biased = router_ == Router::sigmoid_topk;
      route_ = small(ARCHBENCH_SPIRV(moe_route),
                     {sv::Binding::of(logits_), sv::Binding::of(device_, tensors["logit_offset"]),
                      biased ? sv::Binding::of(device_, tensors["selection_bias"]) : dummy,
                      sv::Binding::of(device_, tensors["router_scores"]), sv::Binding::of(device_, tensors["weights"]),
                      sv::Binding::of(device_, tensors["experts"]), sv::Binding::of(chosen_),
                      s_.groups > 1 ? sv::Binding::of(group_scores_) : dummy},
                     RoutePush{u32(T)},
                     {uint32_t(router_), u32(X), u32(K), u32(s_.groups), u32(s_.top_groups), flag(s_.renormalize),
                      std::bit_cast<uint32_t>(float(s_.route_scale))});
      if (gy > 1) throw sdk::Unimplemented("moe on Vulkan: more than 2^21 tokens");
      route_.x = gx;
    }

    // 3: counting sort.
    const sv::Binding experts = sv::Binding::of(device_, tensors["experts"]);
    {
      const auto [gx, gy] = flat_grid("the moe counting sort", uint64_t(chunks));
      if (gy > 1) throw sdk::Unimplemented("moe on Vulkan: too many assignment chunks");
      count_ = small(ARCHBENCH_SPIRV(moe_count), {experts, sv::Binding::of(chunk_counts_)},
                     CountPush{u32(X), u32(assignments), u32(chunk), u32(chunks)});
      count_.x = gx;
      place_ = small(ARCHBENCH_SPIRV(moe_place),
                     {experts, sv::Binding::of(chunk_counts_), sv::Binding::of(first_row_), sv::Binding::of(chosen_),
                      sv::Binding::of(row_of_), sv::Binding::of(row_token_), sv::Binding::of(row_weight_)},
                     PlacePush{u32(X), u32(K), u32(assignments), u32(chunk), u32(chunks), u32(rows_per_expert)});
      place_.x = gx;
    }
    expert_scan_ = small(ARCHBENCH_SPIRV(moe_expert_scan), {sv::Binding::of(chunk_counts_), sv::Binding::of(kept_)},
                         ScanPush{u32(X), u32(chunks), u32(rows_per_expert)});
    expert_scan_.x = ceil_div(uint64_t(X), 64);
    plan_ = small(ARCHBENCH_SPIRV(moe_plan),
                  {sv::Binding::of(kept_), plan.first_row, plan.first_tile, plan.tiles}, PlanPush{u32(X)},
                  {uint32_t(tile)});

    // 4: the routed experts.
    const GroupedMatmulShape up_shape{u32(X), u32(D), u32(F), 0, u32(rows_per_expert), u32(rows)};
    up_ = std::make_unique<GroupedMatmul>(
        device_, routed_gated.spirv, routed_gated.tiling, sv::Specialization{act, 1, flag(router_ == Router::sigmoid_top1)},
        up_shape,
        weights("w_gate"), weights("w_up"), x32, sv::Binding::of(hidden_), plan);
    const GroupedMatmulShape down_shape{u32(X), u32(F), u32(D), 0, u32(rows_per_expert), u32(rows)};
    down_ = std::make_unique<GroupedMatmul>(device_, routed_plain.spirv, routed_plain.tiling, linear, down_shape,
                                            weights("w_down"),
                                            static_cast<const E*>(nullptr), sv::Binding::of(hidden_),
                                            sv::Binding::of(expert_out_), plan);

    // 5: shared experts (one dense gated FFN of width shared * shared_ff) and the combine.
    if (s_.shared > 0) {
      const int64_t W = s_.shared_width();
      shared_hidden_ = scratch("the shared experts' hidden activations", uint64_t(T * W) * 4);
      shared_out_ = scratch("the shared experts' output", uint64_t(T * D) * 4);
      shared_up_ = std::make_unique<GroupedMatmul>(
          device_, dense_gated.spirv, dense_gated.tiling, sv::Specialization{act, 0, 0},
          GroupedMatmulShape{1, u32(D), u32(W), u32(T), 0, 0},
          weights("shared_gate"), weights("shared_up"), x32, sv::Binding::of(shared_hidden_), no_plan);
      shared_down_ = std::make_unique<GroupedMatmul>(
          device_, dense_plain.spirv, dense_plain.tiling, linear, GroupedMatmulShape{1, u32(W), u32(D), u32(T), 0, 0},
          weights("shared_down"), static_cast<const E*>(nullptr), sv::Binding::of(shared_hidden_),
          sv::Binding::of(shared_out_), no_plan);
    }
    combine_ = small(bf16_ ? ARCHBENCH_SPIRV(moe_combine_bf16) : ARCHBENCH_SPIRV(moe_combine),
                     {sv::Binding::of(expert_out_), s_.shared > 0 ? sv::Binding::of(shared_out_) : dummy,
                      sv::Binding::of(row_of_), sv::Binding::of(chosen_), y},
                     CombinePush{u32(T), u32(D)}, {u32(K), flag(s_.shared > 0), flag(router_ != Router::sigmoid_top1)});
    if (bf16_) {  // one lane per word of y (combine.comp)
      const auto [gx, gy] = flat_grid("the moe combine", uint64_t(words));
      combine_.x = gx, combine_.y = gy;
    } else {
      combine_.x = ceil_div(uint64_t(D), 64);
      combine_.y = u32(std::min<int64_t>(T, 32768));
      combine_.z = ceil_div(uint64_t(T), combine_.y);
    }
    sv::require_groups("the moe combine", combine_.x, combine_.y, combine_.z);
  }

  Shape s_;
  Router router_;
  sv::Device device_;
  bool bf16_ = false;
  sv::Buffer dummy_, x32_, logits_, chosen_, group_scores_, chunk_counts_, kept_, first_row_, first_tile_, tiles_,
      row_of_, row_token_, row_weight_, hidden_, expert_out_, shared_hidden_, shared_out_;
  Step<WidenPush> widen_;
  Step<RoutePush> route_;
  Step<CountPush> count_;
  Step<ScanPush> expert_scan_;
  Step<PlanPush> plan_;
  Step<PlacePush> place_;
  Step<CombinePush> combine_;
  std::unique_ptr<GroupedMatmul> router_gemm_, up_, down_, shared_up_, shared_down_;
};

}  // namespace

std::unique_ptr<sdk::Instance> MoeVariant::create_vulkan(const sdk::Problem& problem, const ab_host& host,
                                                         const sdk::Tensors& tensors) const {
  return std::make_unique<MoeVulkan>(*this, problem, host, tensors);
}

}  // namespace archbench::plugins::moe
