// The plan of one block problem (block_variant.hpp): its parts placed at the
// problem's workload, where each part tensor sits among the block's tensors,
// and the steps the block runs. Shared by the reference, the CPU instance and
// the Vulkan instance, so all three run the very same schedule.
#pragma once

#include "harness/problem.hpp"

#include <archbench/sdk.hpp>

#include <memory>
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
  int part = -1;  // >= 0: run that part; else `add`
  BlockAdd add;
};

struct BlockPlan {
  std::vector<BlockPart> parts;
  std::vector<BlockStep> steps;
  ab_problem_info info{};   // the block's tensors and cost
  int64_t elements = 0;     // of the hidden stream: rows x d_model
  ab_dtype dtype = AB_DTYPE_F32;
};

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
