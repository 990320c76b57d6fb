// The block variant (block_variant.hpp): planning a block problem from its
// preset layer, its description, its composed double reference and its CPU
// instance. The Vulkan instance is in block_vulkan.cpp.
#include "harness/block_variant.hpp"

#include "harness/block_plan.hpp"
#include "harness/errors.hpp"
#include "harness/instance_runner.hpp"
#include "harness/model_parameters.hpp"
#include "harness/registry.hpp"
#include "harness/variant_abi.hpp"
#include "harness/workload.hpp"

#include <archbench/contracts/sublayer.h>

#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>

namespace archbench {
namespace {

// The values a block's stream holds, written back in `dtype` as the fast path stores them.
void store_rounded(const std::vector<double>& values, ab_dtype dtype, std::vector<uint8_t>& out) {
  out.resize(values.size() * sdk::dtype_size(dtype));
  if (dtype == AB_DTYPE_F32) {
    float* f = reinterpret_cast<float*>(out.data());
    for (size_t i = 0; i < values.size(); ++i) f[i] = float(values[i]);
  } else if (dtype == AB_DTYPE_BF16) {
    uint16_t* h = reinterpret_cast<uint16_t*>(out.data());
    for (size_t i = 0; i < values.size(); ++i) h[i] = sdk::f32_to_bf16(float(values[i]));
  } else {
    throw sdk::Unimplemented("blocks compute in f32 or bf16");
  }
}

// The names the Variant base keeps as const char*, made before it.
struct BlockNames {
  std::string block_name, block_description;
};

class BlockVariant final : private BlockNames, public sdk::Variant, public BlockVariantHolder {
 public:
  BlockVariant(BlockNames names, const Preset& preset, const PresetLayer& layer, const Registry& registry)
      : BlockNames(std::move(names)), sdk::Variant(block_name.c_str(), "block", block_description.c_str()), preset_(preset),
        layer_(layer) {
    const std::string where = preset.path + ": [[layer]] '" + layer.name + "'";
    std::vector<std::string> kinds;
    uint32_t backends = AB_BACKEND_BIT(AB_BACKEND_CPU) | AB_BACKEND_BIT(AB_BACKEND_VULKAN);
    uint32_t dtypes = AB_DTYPE_BIT(AB_DTYPE_F32) | AB_DTYPE_BIT(AB_DTYPE_BF16);
    for (size_t i = 0; i < layer.parts.size(); ++i) {
      Problem part = parse_problem(layer.parts[i], registry);
      if (!implements(*part.variant, AB_CONTRACT_SUBLAYER))
        throw InputError(layer.part_positions[i] + ": " + part.variant->name + " does not implement contract " +
                         AB_CONTRACT_SUBLAYER + ", so a block cannot chain it");
      kinds.push_back(part.variant->kind ? part.variant->kind : "");
      backends &= part.variant->backends;
      dtypes &= part.variant->dtypes;
      parts_.push_back(std::move(part));
    }
    try {
      sublayers_ = group_sublayers(layer.placement, kinds);
    } catch (const std::invalid_argument& e) {
      throw InputError(where + ": " + e.what());
    }
    auto& s = schema();
    s.add_enum("mode", "mode", "prefill|decode", 0,
               "prefill: seq new tokens through the block; decode: one new token per sequence after seq held ones",
               true);
    s.add_int("batch", "b", 1, 1, 4096, "sequences processed together");
    s.add_int("seq", "s", 512, 1, 1 << 21, "prefill: prompt tokens; decode: tokens already held (cache or state)");
    s.add_int("div", "div", 1, 1, 1 << 20,
              "every part's REDUCIBLE counts (experts, FFN width) divided by this, to fit; 1: the model's widths");
    s.add_float("capacity", "cap", layer.capacity, 0.0, 1.0,
                "mixture of depths: the fraction of each sequence's tokens the block processes, chosen by a "
                "router's score (prefill); 1: every token");
    s.mark_sequence_workload("mode", "batch", "seq");
    s.mark_design({"capacity"});
    s.mark_quiet_default({"capacity"});
    std::vector<ab_backend> b;
    if (backends & AB_BACKEND_BIT(AB_BACKEND_CPU)) b.push_back(AB_BACKEND_CPU);
    if (backends & AB_BACKEND_BIT(AB_BACKEND_VULKAN)) b.push_back(AB_BACKEND_VULKAN);
    if (b.size() == 2) this->backends({AB_BACKEND_CPU, AB_BACKEND_VULKAN});
    else if (b.size() == 1) this->backends({b[0]});
    else this->backends({});
    if ((dtypes & AB_DTYPE_BIT(AB_DTYPE_BF16)) && (dtypes & AB_DTYPE_BIT(AB_DTYPE_F32)))
      this->dtypes({AB_DTYPE_F32, AB_DTYPE_BF16});
    else if (dtypes & AB_DTYPE_BIT(AB_DTYPE_BF16)) this->dtypes({AB_DTYPE_BF16});
    else this->dtypes({AB_DTYPE_F32});
    provides_parameters();
    table_ = Variant::table();
  }

  const ab_variant* table() const override { return table_; }
  const std::string& preset_path() const override { return preset_.path; }

  std::string validate(const sdk::Problem& problem) const override {
    try {
      plan_for(problem);
    } catch (const sdk::InvalidProblem& e) {
      return e.what();
    }
    return {};
  }

  void describe(const sdk::Problem& problem, sdk::Info& info) const override {
    const BlockPlan& plan = *plan_for(problem);
    for (uint32_t i = 0; i < plan.info.tensor_count; ++i) info.copy(plan.info.tensors[i], plan.info.tensors[i].name);
    info.flops(plan.info.flops);
    info.bytes(plan.info.bytes);
    info.tokens(plan.info.tokens);
    info.kv_cache_bytes_per_token(plan.info.kv_cache_bytes_per_token);
  }

  sdk::ParameterCount parameters(const sdk::Problem& problem) const override {
    sdk::ParameterCount total;
    for (const BlockPart& part : plan_for(problem)->parts) {
      const ParameterCount c = count_parameters(part.problem);
      if (!c.failure.empty()) throw std::runtime_error(part.text + ": " + c.failure);
      total.total += c.total;
      total.active += c.active;
    }
    return total;
  }

  // The parts' references chained: the stream in double, each part's input
  // rounded to the dtype as the fast path stores it.
  void reference(const sdk::Problem& problem, const sdk::Tensors& tensors, const sdk::Outputs& outputs) const override {
    const BlockPlan& plan = *plan_for(problem);
    std::map<uint32_t, std::vector<double>> values;  // block tensor -> its values
    values[0] = tensors.as_doubles(plan.info.tensors[0].name);
    DepthReference route;
    for (const BlockStep& step : plan.steps) {
      if (step.kind == BlockStep::Kind::route) {
        const BlockDepth& d = *plan.depth;
        route = route_reference(plan, values[0], tensors.as_doubles(plan.info.tensors[d.router].name));
        values[d.scores] = route.scores;
        values[d.chosen] = route.chosen;
        values[d.kept_rows] = route.kept_rows;
        values[d.inner_x] = route.inner_x;
        continue;
      }
      if (step.kind == BlockStep::Kind::scatter) {
        values[plan.depth->output] = scatter_reference(plan, values[0], route, values.at(plan.depth->inner_y));
        continue;
      }
      if (step.kind == BlockStep::Kind::add) {
        const BlockAdd& add = step.add;
        const std::vector<double>& a = values.at(add.a);
        const std::vector<double>& b = values.at(add.b);
        std::vector<double> out(b.size());
        for (size_t i = 0; i < out.size(); ++i) out[i] = add.alpha * a[i] + add.beta * b[i];
        values[add.out] = std::move(out);
        continue;
      }
      const BlockPart& part = plan.parts[size_t(step.part)];
      std::vector<ab_tensor> bound = bind_part(part, tensors.raw());
      std::vector<uint8_t> x;
      store_rounded(values.at(part.block_index[part.x]), plan.dtype, x);
      bound[part.x].data = x.data();
      std::vector<std::vector<double>> out;
      const ab_status status =
          reference_outputs(*part.problem.variant, part.problem.raw(), bound.data(), uint32_t(bound.size()), out);
      if (status != AB_OK) throw std::runtime_error(part.text + ": reference: " + status_text(status));
      size_t k = 0;
      for (uint32_t j = 0; j < part.info.tensor_count; ++j)
        if (part.info.tensors[j].role == AB_TENSOR_OUTPUT) values[part.block_index[j]] = std::move(out[k++]);
    }
    for (uint32_t i = 0; i < plan.info.tensor_count; ++i) {
      const ab_tensor_desc& d = plan.info.tensors[i];
      if (d.role != AB_TENSOR_OUTPUT) continue;
      double* target = outputs[d.name];
      auto it = values.find(i);
      const size_t n = size_t(sdk::element_count(d));
      for (size_t e = 0; e < n; ++e) target[e] = it != values.end() && e < it->second.size() ? it->second[e] : 0.0;
    }
  }

  std::unique_ptr<sdk::Instance> create(const sdk::Problem& problem, ab_backend backend, const ab_host& host,
                                        const sdk::Tensors& tensors) const override;

  std::shared_ptr<const BlockPlan> plan_for(const sdk::Problem& problem) const;

 private:
  Preset preset_;
  PresetLayer layer_;
  std::vector<Problem> parts_;        // as the preset writes them
  std::vector<Sublayer> sublayers_;
  const ab_variant* table_ = nullptr;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::shared_ptr<const BlockPlan>> plans_;
};

class BlockCpu final : public sdk::Instance {
 public:
  BlockCpu(std::shared_ptr<const BlockPlan> plan, const ab_host& host, const sdk::Tensors& tensors)
      : plan_(std::move(plan)) {
    for (uint32_t i = 0; i < tensors.count(); ++i) data_.push_back(tensors.raw()[i].data);
    try {
      for (const BlockPart& part : plan_->parts) {
        bound_.push_back(bind_part(part, tensors.raw()));
        instances_.push_back(create_part(part, AB_BACKEND_CPU, host, bound_.back()));
      }
    } catch (...) {
      release();
      throw;
    }
  }
  ~BlockCpu() override { release(); }

  void execute() override {
    for (const BlockStep& step : plan_->steps) {
      switch (step.kind) {
        case BlockStep::Kind::part: {
          const BlockPart& part = plan_->parts[size_t(step.part)];
          const ab_status status = part.problem.variant->execute(instances_[size_t(step.part)]);
          if (status != AB_OK) throw std::runtime_error(part.text + ": execute: " + status_text(status));
          break;
        }
        case BlockStep::Kind::add: add(step.add); break;
        case BlockStep::Kind::route: route_tokens(*plan_, data_); break;
        case BlockStep::Kind::scatter: scatter_tokens(*plan_, data_); break;
      }
    }
  }

 private:
  void add(const BlockAdd& s) const {
    const int64_t n = plan_->elements;
    const float alpha = float(s.alpha), beta = float(s.beta);
    if (plan_->dtype == AB_DTYPE_F32) {
      const float* a = static_cast<const float*>(data_[s.a]);
      const float* b = static_cast<const float*>(data_[s.b]);
      float* out = static_cast<float*>(data_[s.out]);
#pragma omp parallel for schedule(static) if (n > (1 << 16))
      for (int64_t i = 0; i < n; ++i) out[i] = alpha * a[i] + beta * b[i];
    } else {
      const uint16_t* a = static_cast<const uint16_t*>(data_[s.a]);
      const uint16_t* b = static_cast<const uint16_t*>(data_[s.b]);
      uint16_t* out = static_cast<uint16_t*>(data_[s.out]);
#pragma omp parallel for schedule(static) if (n > (1 << 16))
      for (int64_t i = 0; i < n; ++i)
        out[i] = sdk::f32_to_bf16(alpha * sdk::bf16_to_f32(a[i]) + beta * sdk::bf16_to_f32(b[i]));
    }
  }
  void release() {
    for (size_t i = 0; i < instances_.size(); ++i)
      if (instances_[i]) plan_->parts[i].problem.variant->destroy(instances_[i]);
    instances_.clear();
  }

  std::shared_ptr<const BlockPlan> plan_;
  std::vector<void*> data_;
  std::vector<std::vector<ab_tensor>> bound_;
  std::vector<ab_instance*> instances_;
};

std::unique_ptr<sdk::Instance> BlockVariant::create(const sdk::Problem& problem, ab_backend backend,
                                                    const ab_host& host, const sdk::Tensors& tensors) const {
  if (!(table_->backends & AB_BACKEND_BIT(backend)))
    throw sdk::Unimplemented(block_name + ": not every part runs on that backend");
  std::shared_ptr<const BlockPlan> plan = plan_for(problem);
  if (plan->routes_decode)
    throw sdk::Unimplemented(block_name + ": a mixture of depths routes a prefill's tokens against each other; a "
                             "decode step's per-token predictor is not modelled (capacity 1 runs every token)");
  if (backend == AB_BACKEND_CPU) return std::make_unique<BlockCpu>(plan, host, tensors);
#ifdef ARCHBENCH_HAVE_VULKAN
  if (backend == AB_BACKEND_VULKAN) return create_block_vulkan(plan, host, tensors);
#endif
  throw sdk::Unimplemented(block_name + ": this build has no implementation for that backend");
}

std::shared_ptr<const BlockPlan> BlockVariant::plan_for(const sdk::Problem& problem) const {
  std::ostringstream key;
  key.precision(17);
  for (uint32_t i = 0; i < problem.raw().value_count; ++i) key << problem.raw().values[i] << ',';
  key << int(problem.dtype()) << ',' << problem.seed();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = plans_.find(key.str()); it != plans_.end()) return it->second;
  }
  auto plan = std::make_shared<BlockPlan>();
  plan->dtype = problem.dtype();
  Workload workload;
  workload.mode = problem.choice("mode") == 0 ? Workload::Mode::prefill : Workload::Mode::decode;
  workload.batch = problem.integer("batch");
  workload.tokens = problem.integer("seq");
  const int div = int(problem.integer("div"));
  int64_t d_model = 0;
  const double capacity = problem.real("capacity");
  if (!(capacity > 0)) throw sdk::InvalidProblem("capacity must be above 0 (1: every token)");
  // Mixture of depths routes a prefill's tokens against each other; the parts
  // run on the kept ones. A decode step is planned whole (create refuses it).
  const bool routed = capacity < 1 && workload.mode == Workload::Mode::prefill;
  const int64_t all_tokens = workload.tokens;
  if (routed) workload.tokens = std::max<int64_t>(1, int64_t(std::ceil(capacity * double(all_tokens))));
  plan->routes_decode = capacity < 1 && !routed;

  // Each part at the workload, reduced, described, its hidden stream found.
  for (size_t i = 0; i < parts_.size(); ++i) {
    BlockPart part{parts_[i], "part " + std::to_string(i + 1) + " (" + layer_.parts[i] + ")", {}, 0, 0, {}};
    part.problem.dtype = problem.dtype();
    part.problem.seed = problem.seed();
    std::string why;
    std::optional<Problem> placed = at_workload(part.problem, workload, why);
    if (placed) placed = reduce_by(*placed, div, why);
    if (!placed) throw sdk::InvalidProblem(part.text + ": " + why);
    part.problem = *placed;
    const ab_problem raw = part.problem.raw();
    const ab_variant& v = *part.problem.variant;
    if (const ab_status s = describe_variant(v, raw, part.info); s != AB_OK)
      throw std::runtime_error(part.text + ": describe: " + status_text(s));
    const auto* adapter = static_cast<const ab_sublayer*>(contract_adapter(v, AB_CONTRACT_SUBLAYER));
    if (!adapter || adapter->struct_size < sizeof(ab_sublayer))
      throw sdk::InvalidProblem(part.text + ": no sublayer/1 adapter");
    char error[512] = {};
    if (const ab_status s = adapter->hidden(v.context, &raw, &part.x, &part.y, error, sizeof error); s != AB_OK) {
      error[sizeof error - 1] = '\0';
      throw sdk::InvalidProblem(part.text + ": sublayer/1: " + status_reason(s, error));
    }
    if (part.x >= part.info.tensor_count || part.y >= part.info.tensor_count)
      throw std::runtime_error(part.text + ": sublayer/1 named a tensor it does not describe");
    const ab_tensor_desc& x = part.info.tensors[part.x];
    const ab_tensor_desc& y = part.info.tensors[part.y];
    const int64_t elements = sdk::element_count(x);
    if (x.role != AB_TENSOR_INPUT || y.role != AB_TENSOR_OUTPUT || x.dtype != problem.dtype() ||
        y.dtype != problem.dtype() || sdk::element_count(y) != elements || x.dims[x.rank - 1] != y.dims[y.rank - 1])
      throw std::runtime_error(part.text + ": sublayer/1's x and y are not an INPUT and an OUTPUT of one shape and dtype");
    const int64_t width = x.dims[x.rank - 1];
    if (plan->elements == 0) {
      plan->elements = elements;
      d_model = width;
    }
    if (elements != plan->elements || width != d_model)
      throw sdk::InvalidProblem(part.text + ": its hidden stream holds " + std::to_string(elements) +
                                " values, not the " + std::to_string(plan->elements) + " of part 1 (d_model differs?)");
    plan->parts.push_back(std::move(part));
  }

  // The block's tensors: x, every part's own tensors under "<part>.", the
  // mixture of depths' router and choices, then the stream buffers.
  uint32_t count = 1 + 1 + (routed ? 6 : 0);
  for (const BlockPart& part : plan->parts) count += part.info.tensor_count - 1;
  for (const Sublayer& s : sublayers_) count += (s.bodies.size() > 1) + 1;
  if (count > AB_MAX_TENSORS)
    throw sdk::InvalidProblem("the block joins " + std::to_string(count) + " tensors, over the ABI's " +
                              std::to_string(AB_MAX_TENSORS));
  plan->info.struct_size = sizeof plan->info;
  sdk::Info info(plan->info);
  const ab_tensor_desc stream_desc = plan->parts.front().info.tensors[plan->parts.front().x];
  ab_tensor_desc outer_desc = stream_desc;  // the block's own x and y: every token's row
  if (routed) {
    outer_desc.rank = 2;
    outer_desc.dims[0] = workload.batch * all_tokens;
    outer_desc.dims[1] = d_model;
  }
  info.copy(outer_desc, "x");
  for (size_t p = 0; p < plan->parts.size(); ++p) {
    BlockPart& part = plan->parts[p];
    part.block_index.assign(part.info.tensor_count, 0);
    for (uint32_t j = 0; j < part.info.tensor_count; ++j) {
      if (j == part.x) continue;
      part.block_index[j] = plan->info.tensor_count;
      ab_tensor_desc& t = info.copy(part.info.tensors[j], std::to_string(p + 1) + "." + part.info.tensors[j].name);
      if (t.role != AB_TENSOR_OUTPUT) continue;
      // A part's selection ranked by its scores (experts, DSA's keys) stays a
      // checked result: choosing wrong fails even where y comes out close, and a
      // tie stand-in leaves that token out of y's comparison (compare_outputs.hpp).
      // The part's other outputs are the block's scratch: its y is the result.
      if (t.compare == AB_COMPARE_INDEX_SET && t.scores[0]) {
        const std::string scores = std::to_string(p + 1) + "." + std::string(t.scores, strnlen(t.scores, sizeof t.scores));
        if (scores.size() >= sizeof t.scores) throw sdk::InvalidProblem(part.text + ": tensor name too long: " + scores);
        std::memset(t.scores, 0, sizeof t.scores);
        std::memcpy(t.scores, scores.data(), scores.size());
      } else {
        t.compare = AB_COMPARE_UNCHECKED;
        std::memset(t.scores, 0, sizeof t.scores);
      }
    }
    plan->info.flops += part.info.flops;
    plan->info.bytes += part.info.bytes;
    plan->info.tokens = std::max(plan->info.tokens, part.info.tokens);
    plan->info.kv_cache_bytes_per_token += part.info.kv_cache_bytes_per_token;
  }
  uint32_t residual = 0;
  if (routed) {
    BlockDepth d;
    d.batch = workload.batch;
    d.tokens = all_tokens;
    d.kept = workload.tokens;
    d.d_model = d_model;
    const double bound = std::sqrt(3.0 / double(d_model));
    d.router = plan->info.tensor_count;
    info.tensor("mod.router", AB_TENSOR_WEIGHT, plan->dtype, {d_model}, -bound, bound);
    d.scores = plan->info.tensor_count;
    info.tensor("mod.scores", AB_TENSOR_OUTPUT, AB_DTYPE_F32, {d.batch, d.tokens}).unchecked();
    d.chosen = plan->info.tensor_count;  // the kept positions, a checked selection ranked by the scores
    info.tensor("mod.chosen", AB_TENSOR_OUTPUT, AB_DTYPE_I32, {d.batch, d.kept}).index_set("mod.scores");
    d.kept_rows = plan->info.tensor_count;
    info.tensor("mod.kept", AB_TENSOR_OUTPUT, AB_DTYPE_I32, {d.batch * d.tokens}).unchecked();
    ab_tensor_desc& inner = info.copy(stream_desc, "mod.x");
    inner.role = AB_TENSOR_OUTPUT;
    inner.compare = AB_COMPARE_UNCHECKED;
    d.inner_x = plan->info.tensor_count - 1;
    plan->depth = d;
    BlockStep route;
    route.kind = BlockStep::Kind::route;
    plan->steps.push_back(route);
    const double rows = double(d.batch * d.tokens), element = double(sdk::dtype_size(plan->dtype));
    plan->info.flops += 2.0 * rows * double(d_model) + 4.0 * rows * double(d_model);  // scores; the scatter
    plan->info.bytes += rows * double(d_model) * element * 3.0 + double(plan->elements) * element * 3.0;
    residual = d.inner_x;
  }
  auto stream = [&](const std::string& name, bool result) {
    ab_tensor_desc& t = info.copy(stream_desc, name);
    t.role = AB_TENSOR_OUTPUT;
    t.compare = result ? AB_COMPARE_NUMERIC : AB_COMPARE_UNCHECKED;
    return plan->info.tensor_count - 1;
  };
  auto add = [&](uint32_t out, uint32_t a, double alpha, uint32_t b, double beta) {
    BlockStep step;
    step.kind = BlockStep::Kind::add;
    step.add = BlockAdd{out, a, b, alpha, beta};
    plan->steps.push_back(step);
    plan->info.flops += 3.0 * double(plan->elements);
    plan->info.bytes += 3.0 * double(plan->elements) * double(sdk::dtype_size(plan->dtype));
  };
  auto run = [&](int p, uint32_t input) {
    BlockPart& part = plan->parts[size_t(p)];
    part.block_index[part.x] = input;
    BlockStep step;
    step.part = p;
    plan->steps.push_back(step);
    return part.block_index[part.y];
  };

  // The schedule: per sublayer, pre norm, bodies (summed), post norm, residual add.
  for (size_t k = 0; k < sublayers_.size(); ++k) {
    const Sublayer& s = sublayers_[k];
    const uint32_t body_input = s.pre >= 0 ? run(s.pre, residual) : residual;
    std::vector<uint32_t> outs;
    for (int b : s.bodies) outs.push_back(run(b, body_input));
    uint32_t branch = outs[0];
    if (outs.size() > 1) {  // parallel branches (Grok): summed, each times branch_scale
      const uint32_t sum = stream("sum" + std::to_string(k + 1), false);
      const double bs = layer_.branch_scale;
      add(sum, outs[0], bs, outs[1], bs);
      for (size_t j = 2; j < outs.size(); ++j) add(sum, sum, 1.0, outs[j], bs);
      branch = sum;
    }
    if (s.post >= 0) branch = run(s.post, branch);
    const bool last = k + 1 == sublayers_.size();
    const uint32_t next = stream(last ? (routed ? "mod.y" : "y") : "residual" + std::to_string(k + 1), last && !routed);
    add(next, residual, 1.0, branch, layer_.residual_scale);
    residual = next;
  }
  if (routed) {
    plan->depth->inner_y = residual;
    ab_tensor_desc& y = info.copy(outer_desc, "y");
    y.role = AB_TENSOR_OUTPUT;
    y.compare = AB_COMPARE_NUMERIC;
    plan->depth->output = plan->info.tensor_count - 1;
    BlockStep scatter;
    scatter.kind = BlockStep::Kind::scatter;
    plan->steps.push_back(scatter);
  }

  std::lock_guard<std::mutex> lock(mutex_);
  return plans_.emplace(key.str(), std::move(plan)).first->second;
}

}  // namespace

std::vector<ab_tensor> bind_part(const BlockPart& part, const ab_tensor* block_tensors) {
  std::vector<ab_tensor> bound(part.info.tensor_count);
  for (uint32_t j = 0; j < part.info.tensor_count; ++j) {
    const ab_tensor& from = block_tensors[part.block_index[j]];
    bound[j] = ab_tensor{sizeof(ab_tensor), &part.info.tensors[j], from.data, from.bytes};
  }
  return bound;
}

ab_instance* create_part(const BlockPart& part, ab_backend backend, const ab_host& host,
                         const std::vector<ab_tensor>& bound) {
  const ab_problem raw = part.problem.raw();
  const ab_variant& v = *part.problem.variant;
  ab_instance* instance = nullptr;
  char error[512] = {};
  const ab_status s =
      v.create(v.context, &raw, backend, &host, bound.data(), uint32_t(bound.size()), &instance, error, sizeof error);
  error[sizeof error - 1] = '\0';
  if (s == AB_ERR_UNIMPLEMENTED) throw sdk::Unimplemented(part.text + ": " + status_reason(s, error));
  if (s != AB_OK || !instance) throw std::runtime_error(part.text + ": create: " + status_reason(s, error));
  return instance;
}

std::unique_ptr<BlockVariantHolder> make_block_variant(const Preset& preset, const PresetLayer& layer,
                                                       const Registry& registry) {
  BlockNames names{block_variant_name(preset, layer), "the '" + layer.name + "' layer of " + preset.title +
                                                          " as one problem: " + std::to_string(layer.parts.size()) +
                                                          " parts, " + layer.placement + " norms"};
  return std::make_unique<BlockVariant>(std::move(names), preset, layer, registry);
}

std::string block_variant_name(const Preset& preset, const PresetLayer& layer) {
  return "block/" + preset.name + "." + layer.name;
}

std::unique_ptr<BlockVariantHolder> make_block_variant(const std::string& name, const Registry& registry) {
  const std::string prefix = "block/";
  if (name.rfind(prefix, 0) != 0) return nullptr;
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot < prefix.size() + 1 || dot + 1 == name.size())
    throw InputError("variant '" + name + "': a block is named block/<preset>.<layer>, e.g. block/llama3-8b.dense");
  const Preset preset = load_preset(name.substr(prefix.size(), dot - prefix.size()));
  const std::string layer_name = name.substr(dot + 1);
  std::string known;
  for (const PresetLayer& layer : preset.layer_types) {
    if (layer.name == layer_name) return make_block_variant(preset, layer, registry);
    known += (known.empty() ? "" : ", ") + layer.name;
  }
  throw InputError("variant '" + name + "': preset " + preset.path + " has no layer '" + layer_name +
                   "' (its layers: " + known + ")");
}

}  // namespace archbench
