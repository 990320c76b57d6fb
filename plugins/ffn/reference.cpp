// Double-precision reference of the FFN variants: three plain matmuls and the
// activation, on exactly the (possibly bf16-rounded) values the backend sees.
#include <archbench/reference.hpp>

#include "ffn.hpp"

namespace archbench::plugins::ffn {

void FfnVariant::reference(const sdk::Problem& problem, const sdk::Tensors& tensors,
                           const sdk::Outputs& outputs) const {
  namespace ref = sdk::reference;
  const int64_t tokens = problem.integer("tokens"), d_model = problem.integer("d_model"),
                d_ff = problem.integer("d_ff");
  const std::vector<double> x = tensors.as_doubles("x");
  std::vector<double> hidden(size_t(tokens * d_ff));
  {
    const std::vector<double> w_up = tensors.as_doubles("w_up");
    ref::matmul(x.data(), w_up.data(), hidden.data(), tokens, d_model, d_ff);
  }
  auto activate = [this](double v) {
    return activation_ == Activation::silu ? ref::silu(v) : ref::gelu_tanh(v);
  };
  if (gated_) {
    std::vector<double> gate(hidden.size());
    const std::vector<double> w_gate = tensors.as_doubles("w_gate");
    ref::matmul(x.data(), w_gate.data(), gate.data(), tokens, d_model, d_ff);
    for (size_t i = 0; i < hidden.size(); ++i) hidden[i] *= activate(gate[i]);
  } else {
    for (double& h : hidden) h = activate(h);
  }
  const std::vector<double> w_down = tensors.as_doubles("w_down");
  ref::matmul(hidden.data(), w_down.data(), outputs["y"], tokens, d_ff, d_model);
}

}  // namespace archbench::plugins::ffn
