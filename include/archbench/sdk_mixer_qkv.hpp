// SDK side of contract "mixer.qkv/1" (include/archbench/contracts/mixer_qkv.h):
// how an accuracy task's queries, keys and values reach a variant.
//
//   MixerQkv     the adapter interface: derive from it when the variant's own
//                tensors differ from the contract's (a latent cache, a state-
//                space x/B/C, a block) and map them in write_inputs/read_output.
//   QkvTensors   the adapter for a variant whose tensors ARE q, k, v and out:
//                name them and the context parameter; it copies and converts.
//
// A variant offers one with implement(AB_CONTRACT_MIXER_QKV, adapter.table())
// in its constructor, keeping the adapter alive as a member.
#pragma once

#include <archbench/contracts/mixer_qkv.h>
#include <archbench/sdk.hpp>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace archbench::sdk {

class MixerQkv {
 public:
  explicit MixerQkv(const Variant& variant) : variant_(variant) {
    table_.struct_size = sizeof table_;
    table_.context = this;
    table_.at_context = &at_context_thunk;
    table_.layout = &layout_thunk;
    table_.write_inputs = &write_inputs_thunk;
    table_.read_output = &read_output_thunk;
  }
  virtual ~MixerQkv() = default;
  MixerQkv(const MixerQkv&) = delete;
  MixerQkv& operator=(const MixerQkv&) = delete;

  // `values` holds the suite's problem (schema order): change what a prefill of
  // `tokens` tokens needs and return the index of the parameter carrying it.
  // Throw Unimplemented when this problem has no q/k/v form.
  virtual uint32_t at_context(const Problem& problem, int64_t tokens, std::vector<double>& values) const = 0;
  virtual ab_qkv_layout layout(const Problem& problem) const = 0;
  virtual void write_inputs(const Problem& problem, const Tensors& tensors, const float* q, const float* k,
                            const float* v) const = 0;
  virtual void read_output(const Problem& problem, const Tensors& tensors, float* out) const = 0;

  const ab_mixer_qkv* table() const { return &table_; }
  const Variant& variant() const { return variant_; }

 private:
  static MixerQkv& self(void* context) { return *static_cast<MixerQkv*>(context); }
  Problem problem(const ab_problem* raw) const { return Problem(*raw, variant_.params()); }
  static ab_status at_context_thunk(void* context, const ab_problem* raw, int64_t tokens, double* values,
                                    uint32_t* context_param, char* error, size_t error_size) {
    return guarded(error, error_size, [&] {
      std::vector<double> v(raw->values, raw->values + raw->value_count);
      *context_param = self(context).at_context(self(context).problem(raw), tokens, v);
      std::copy(v.begin(), v.end(), values);
    });
  }
  static ab_status layout_thunk(void* context, const ab_problem* raw, ab_qkv_layout* layout) {
    return guarded(nullptr, 0, [&] {
      *layout = self(context).layout(self(context).problem(raw));
      layout->struct_size = sizeof *layout;
    });
  }
  static ab_status write_inputs_thunk(void* context, const ab_problem* raw, const ab_tensor* tensors,
                                      uint32_t count, const float* q, const float* k, const float* v) {
    return guarded(nullptr, 0,
                   [&] { self(context).write_inputs(self(context).problem(raw), Tensors(tensors, count), q, k, v); });
  }
  static ab_status read_output_thunk(void* context, const ab_problem* raw, const ab_tensor* tensors,
                                     uint32_t count, float* out) {
    return guarded(nullptr, 0,
                   [&] { self(context).read_output(self(context).problem(raw), Tensors(tensors, count), out); });
  }

  const Variant& variant_;
  ab_mixer_qkv table_{};
};

// Writes f32 values into a tensor of its own dtype (bf16 rounded to nearest even).
inline void store_floats(const ab_tensor& tensor, const float* values) {
  const size_t n = size_t(element_count(*tensor.desc));
  if (tensor.desc->dtype == AB_DTYPE_F32) {
    std::memcpy(tensor.data, values, n * sizeof(float));
  } else if (tensor.desc->dtype == AB_DTYPE_BF16) {
    auto* out = static_cast<uint16_t*>(tensor.data);
    for (size_t i = 0; i < n; ++i) out[i] = f32_to_bf16(values[i]);
  } else {
    throw Unimplemented(std::string("tensor ") + tensor.desc->name + ": only f32 and bf16 carry q/k/v");
  }
}

// The adapter for variants whose tensors are the contract's own.
class QkvTensors : public MixerQkv {
 public:
  struct Names {
    const char *q = "q", *k = "k", *v = "v", *out = "out";
    const char* context = "seq";  // the parameter holding the prefill's token count
  };
  // `prefill` adjusts the other values a prefill needs (a mode, ...) and throws
  // Unimplemented where the problem has no q/k/v form; `rotary_dims` says how
  // many leading dims of q and k the variant rotates.
  QkvTensors(const Variant& variant, Names names,
             std::function<void(const Problem&, std::vector<double>&)> prefill,
             std::function<int64_t(const Problem&)> rotary_dims)
      : MixerQkv(variant), names_(names), prefill_(std::move(prefill)), rotary_dims_(std::move(rotary_dims)) {}

  uint32_t at_context(const Problem& problem, int64_t tokens, std::vector<double>& values) const override {
    const int index = variant().params().index_of(names_.context);
    if (index < 0) throw std::logic_error(std::string("no parameter named ") + names_.context);
    values[size_t(index)] = double(tokens);
    if (prefill_) prefill_(problem, values);
    return uint32_t(index);
  }
  ab_qkv_layout layout(const Problem& problem) const override {
    ab_problem_info info{};
    info.struct_size = sizeof info;
    Info builder(info);
    variant().describe(problem, builder);
    const ab_tensor_desc &q = find(info, names_.q), &k = find(info, names_.k), &v = find(info, names_.v);
    ab_qkv_layout out{};
    out.batch = q.dims[0];
    out.tokens = q.dims[1];
    out.heads = q.dims[2];
    out.dk = q.dims[3];
    out.kv_heads = k.dims[2];
    out.dv = v.dims[3];
    out.rotary_dims = rotary_dims_ ? rotary_dims_(problem) : 0;
    return out;
  }
  void write_inputs(const Problem&, const Tensors& tensors, const float* q, const float* k,
                    const float* v) const override {
    store_floats(tensors[names_.q], q);
    store_floats(tensors[names_.k], k);
    store_floats(tensors[names_.v], v);
  }
  void read_output(const Problem&, const Tensors& tensors, float* out) const override {
    const std::vector<double> values = tensors.as_doubles(names_.out);
    for (size_t i = 0; i < values.size(); ++i) out[i] = float(values[i]);
  }

 private:
  static const ab_tensor_desc& find(const ab_problem_info& info, const char* name) {
    for (uint32_t i = 0; i < info.tensor_count; ++i)
      if (std::strcmp(info.tensors[i].name, name) == 0 && info.tensors[i].rank == 4) return info.tensors[i];
    throw Unimplemented(std::string("this problem has no rank-4 tensor '") + name + "' for the q/k/v form");
  }
  Names names_;
  std::function<void(const Problem&, std::vector<double>&)> prefill_;
  std::function<int64_t(const Problem&)> rotary_dims_;
};

}  // namespace archbench::sdk
