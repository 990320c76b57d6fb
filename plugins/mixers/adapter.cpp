// The mixers' way into the accuracy tasks (contract mixer.qkv/1). Their q, k,
// v and out tensors are the contract's own, so the SDK's QkvTensors adapter
// copies them; what the contract does not carry is written here, fixed:
//   mixer/gla             every gate a_t = 1: no forgetting (the data-dependent
//                         gates of a trained model are not the task's to invent),
//                         so the task sees the state's capacity alone;
//   mixer/gated-deltanet  alpha_t = 1 and beta_t = 1: the pure delta rule, each
//                         token replacing what the state held along its key;
//   mixer/linear          nothing to add (its decay is a design parameter).
// Gated DeltaNet needs qk_heads = heads here (the contract's k and v share
// kv_heads). Its convolution and L2 norms stay on: rows that want the task's
// keys as planted set conv = 0.
#include "mixers.hpp"

namespace archbench::plugins::mixers {

namespace {

void prefill_at_core_level(const sdk::Problem& problem, std::vector<double>& values) {
  if (problem.integer("d_model") != 0) throw sdk::Unimplemented("needs the core level: d_model = 0");
  if (problem.has("qk_heads") && problem.integer("qk_heads") != 0 &&
      problem.integer("qk_heads") != problem.integer("heads"))
    throw sdk::Unimplemented("the q/k/v contract shares kv_heads between k and v: needs qk_heads = heads");
  values[problem.index_of("mode")] = double(int(Mode::prefill));
}

class MixerQkvTensors : public sdk::QkvTensors {
 public:
  MixerQkvTensors(const MixerVariant& variant)
      : QkvTensors(variant, {}, &prefill_at_core_level, [](const sdk::Problem&) { return int64_t(0); }),
        rule_(variant.rule()) {}

  void write_inputs(const sdk::Problem& problem, const sdk::Tensors& tensors, const float* q, const float* k,
                    const float* v) const override {
    QkvTensors::write_inputs(problem, tensors, q, k, v);
    const auto ones = [&](const char* name) {
      const ab_tensor& t = tensors[name];
      std::vector<float> one(size_t(sdk::element_count(*t.desc)), 1.0f);
      sdk::store_floats(t, one.data());
    };
    if (rule_ == Rule::gla) ones("gate");
    if (rule_ == Rule::delta) ones("alpha"), ones("beta");
  }

 private:
  Rule rule_;
};

}  // namespace

std::unique_ptr<sdk::MixerQkv> make_qkv_adapter(const MixerVariant& variant) {
  return std::make_unique<MixerQkvTensors>(variant);
}

}  // namespace archbench::plugins::mixers
