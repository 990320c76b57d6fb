// Double-precision reference of the MoE variants: the routing of routing.cpp,
// then every kept (token, expert) pair through that expert's FFN in double
// (the expert's tokens as one block, so a 512-token reference takes seconds),
// summed in expert order with its weight, plus the shared experts.
#include <archbench/reference.hpp>

#include "moe.hpp"

namespace archbench::plugins::moe {
namespace {

namespace ref = sdk::reference;

// rows[n, d_model] through a gated FFN with weights gate/up [d_model, ff] and
// down [ff, d_model] (doubles), into out[n, d_model].
void gated_ffn(Activation activation, const std::vector<double>& rows, int64_t n, int64_t d_model, int64_t ff,
               const double* gate_w, const double* up_w, const double* down_w, std::vector<double>& out) {
  std::vector<double> gate(size_t(n * ff)), up(size_t(n * ff));
  ref::matmul(rows.data(), gate_w, gate.data(), n, d_model, ff);
  ref::matmul(rows.data(), up_w, up.data(), n, d_model, ff);
  for (size_t i = 0; i < gate.size(); ++i) gate[i] = activate(activation, gate[i], up[i]);
  out.assign(size_t(n * d_model), 0.0);
  ref::matmul(gate.data(), down_w, out.data(), n, ff, d_model);
}

// One expert's [rows, cols] slice of a stacked weight, as doubles.
std::vector<double> slice(const ab_tensor& t, int64_t expert, int64_t elements) {
  std::vector<double> out(static_cast<size_t>(elements));
  for (int64_t i = 0; i < elements; ++i) out[size_t(i)] = sdk::element_as_double(t.data, t.desc->dtype, expert * elements + i);
  return out;
}

}  // namespace

void MoeVariant::reference(const sdk::Problem& problem, const sdk::Tensors& tensors,
                           const sdk::Outputs& outputs) const {
  const Shape s = Shape::of(problem);
  const Routing routing = route_in_double(router_, s, tensors);
  const std::vector<double> x = tensors.as_doubles("x");
  double* y = outputs["y"];
  std::fill(y, y + s.tokens * s.d_model, 0.0);

  const int64_t slice_elements = s.d_model * s.expert_ff;
  for (int64_t e = 0; e < s.experts; ++e) {
    std::vector<int64_t> slots;  // (token * top_k + j) of the kept assignments to e
    for (size_t a = 0; a < routing.experts.size(); ++a)
      if (routing.experts[a] == e && routing.kept[a]) slots.push_back(int64_t(a));
    if (slots.empty()) continue;
    const int64_t n = int64_t(slots.size());
    std::vector<double> rows(size_t(n * s.d_model));
    for (int64_t i = 0; i < n; ++i) {
      const int64_t token = slots[size_t(i)] / s.top_k;
      // Llama 4 scales the expert's input by the routing weight, the others its output.
      const double scale = router_ == Router::sigmoid_top1 ? routing.weights[size_t(slots[size_t(i)])] : 1.0;
      for (int64_t d = 0; d < s.d_model; ++d) rows[size_t(i * s.d_model + d)] = scale * x[size_t(token * s.d_model + d)];
    }
    const std::vector<double> gate = slice(tensors["w_gate"], e, slice_elements),
                              up = slice(tensors["w_up"], e, slice_elements),
                              down = slice(tensors["w_down"], e, slice_elements);
    std::vector<double> out;
    gated_ffn(s.activation, rows, n, s.d_model, s.expert_ff, gate.data(), up.data(), down.data(), out);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t token = slots[size_t(i)] / s.top_k;
      const double w = router_ == Router::sigmoid_top1 ? 1.0 : routing.weights[size_t(slots[size_t(i)])];
      for (int64_t d = 0; d < s.d_model; ++d) y[token * s.d_model + d] += w * out[size_t(i * s.d_model + d)];
    }
  }
  if (s.shared > 0) {
    std::vector<double> out;
    gated_ffn(s.activation, x, s.tokens, s.d_model, s.shared_width(), tensors.as_doubles("shared_gate").data(),
              tensors.as_doubles("shared_up").data(), tensors.as_doubles("shared_down").data(), out);
    for (size_t i = 0; i < out.size(); ++i) y[i] += out[i];
  }

  double* experts = outputs["experts"];
  double* weights = outputs["weights"];
  std::fill(weights, weights + s.tokens * s.experts, 0.0);
  for (size_t a = 0; a < routing.experts.size(); ++a) {
    const int64_t token = int64_t(a) / s.top_k;
    experts[a] = routing.experts[a];
    weights[token * s.experts + routing.experts[a]] = routing.weights[a];
  }
  std::copy(routing.scores.begin(), routing.scores.end(), outputs["router_scores"]);
}

}  // namespace archbench::plugins::moe
