// The plan of one block problem (block_variant.hpp): its parts placed at the
// problem's workload, where each part tensor sits among the block's tensors,
// and the steps the block runs. Shared by the reference, the CPU instance and
// the Vulkan instance, so all three run the very same schedule.
#pragma once

#include "harness/problem.hpp"

#include <archbench/sdk.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace archbench {

struct BlockPart {
  Problem problem;
  std::string text;                   // "part 2 (attention/gqa:h32...)", for messages
  ab_problem_info info{};             // the part's own tensors
  uint32_t x = 0, y = 0;              // sublayer/1's indexes among them
  std::vector<uint32_t> block_index;  // for each part tensor, the block tensor bound to it (x: its input)
};

// out = alpha * a + beta * b over the hidden stream (block tensor indexes).
struct BlockAdd {
  uint32_t out = 0, a = 0, b = 0;
  double alpha = 1, beta = 1;  // the reference's; the fast paths compute in f32
};

struct BlockStep {
  // part: run parts[part]; add: `add`; route and scatter: the mixture of depths' (`depth`).
  enum class Kind { part, add, route, scatter } kind = Kind::part;
  int part = -1;
  BlockAdd add;
};

// Mixture of depths (a prefill block with capacity < 1): a router scores each
// token (x . w), each sequence's top `kept` tokens (ascending positions) are
// gathered into the inner stream, the sublayers run on them alone, and
//   y_t = x_t + sigmoid(score_t) * (inner_y - inner_x)_t  for a kept token,  y_t = x_t  otherwise.
struct BlockDepth {
  int64_t batch = 0, tokens = 0, kept = 0, d_model = 0;
  // Block tensors: the router's weights [d_model]; each token's score [batch, tokens] (f32);
  // the kept positions [batch, kept] (i32); whether each row is kept, 1 or 0
  // [batch x tokens] (i32); the inner stream's input and output [batch x kept, d_model].
  uint32_t router = 0, scores = 0, chosen = 0, kept_rows = 0, inner_x = 0, inner_y = 0;
  uint32_t output = 0;  // the block's y [batch x tokens, d_model]
};

struct BlockPlan {
  std::vector<BlockPart> parts;
  std::vector<BlockStep> steps;
  ab_problem_info info{};   // the block's tensors and cost
  int64_t elements = 0;     // of the (inner) hidden stream: rows x d_model
  ab_dtype dtype = AB_DTYPE_F32;
  std::optional<BlockDepth> depth;
  bool routes_decode = false;  // capacity < 1 at a decode step: not modelled, create() refuses
};

// The mixture of depths on the CPU (block_depth.cpp), on the block's tensors.
void route_tokens(const BlockPlan& plan, const std::vector<void*>& data);
void scatter_tokens(const BlockPlan& plan, const std::vector<void*>& data);
// The same in double for the reference: the scores, the kept positions and the
// gathered rows from x; then y from x, the scores, the kept positions and the inner stream.
struct DepthReference {
  std::vector<double> scores, chosen, kept_rows, inner_x;
  std::vector<int64_t> slot;  // each row's slot in the inner stream, or -1
};
DepthReference route_reference(const BlockPlan& plan, const std::vector<double>& x, const std::vector<double>& router);
std::vector<double> scatter_reference(const BlockPlan& plan, const std::vector<double>& x, const DepthReference& route,
                                      const std::vector<double>& inner_y);

// A part's tensors bound to the block's: each points at the data of the block
// tensor the plan binds it to, under the part's own description.
std::vector<ab_tensor> bind_part(const BlockPart& part, const ab_tensor* block_tensors);

// Creates one part's instance on `backend`; throws sdk::Unimplemented or
// std::runtime_error naming the part.
ab_instance* create_part(const BlockPart& part, ab_backend backend, const ab_host& host,
                         const std::vector<ab_tensor>& bound);

#ifdef ARCHBENCH_HAVE_VULKAN
// The Vulkan instance (block_vulkan.cpp): every part's commands and the adds
// recorded into the host's command buffer, with barriers between them.
std::unique_ptr<sdk::Instance> create_block_vulkan(std::shared_ptr<const BlockPlan> plan, const ab_host& host,
                                                   const sdk::Tensors& tensors);
#endif

}  // namespace archbench
