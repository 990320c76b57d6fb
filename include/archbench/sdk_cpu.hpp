// archbench plugin SDK — oneDNN helpers for CPU implementations.
//
// Plugins borrow the host's engine and stream (they never make their own) and
// wrap the host's tensors as oneDNN memories without copying.
#pragma once

#include <archbench/sdk.hpp>

#include <oneapi/dnnl/dnnl.hpp>

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace archbench::sdk::cpu {

// The host's engine and stream, held weakly: the host owns them.
struct Context {
  dnnl::engine engine;
  dnnl::stream stream;
  int threads = 1;

  static Context from(const ab_host& host) {
    if (!host.cpu_engine || !host.cpu_stream)
      throw Unimplemented("the host offers no CPU backend");
    Context out;
    out.engine = dnnl::engine(static_cast<dnnl_engine_t>(host.cpu_engine(host.context)), true);
    out.stream = dnnl::stream(static_cast<dnnl_stream_t>(host.cpu_stream(host.context)), true);
    out.threads = host.cpu_threads ? host.cpu_threads(host.context) : 1;
    return out;
  }
};

inline dnnl::memory::data_type to_dnnl(ab_dtype dtype) {
  switch (dtype) {
    case AB_DTYPE_F32: return dnnl::memory::data_type::f32;
    case AB_DTYPE_BF16: return dnnl::memory::data_type::bf16;
    case AB_DTYPE_F16: return dnnl::memory::data_type::f16;
    case AB_DTYPE_I32: return dnnl::memory::data_type::s32;
  }
  throw Unimplemented("unknown dtype");
}

inline dnnl::memory::desc row_major(const dnnl::memory::dims& dims, dnnl::memory::data_type type) {
  dnnl::memory::dims strides(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * dims[i];
  return dnnl::memory::desc(dims, type, strides);
}

// A plain row-major descriptor of a host tensor, optionally reshaped to 2-D
// (rows = product of leading dims) which is what matmul and norms want.
inline dnnl::memory::desc plain_desc(const ab_tensor& tensor, bool as_matrix = false) {
  const ab_tensor_desc& d = *tensor.desc;
  dnnl::memory::dims dims(d.dims, d.dims + d.rank);
  if (as_matrix && d.rank > 2) {
    int64_t rows = 1;
    for (uint32_t i = 0; i + 1 < d.rank; ++i) rows *= d.dims[i];
    dims = {rows, d.dims[d.rank - 1]};
  }
  return row_major(dims, to_dnnl(d.dtype));
}

// A oneDNN memory over the host's buffer (no copy).
inline dnnl::memory wrap(const ab_tensor& tensor, const Context& ctx, bool as_matrix = false) {
  return dnnl::memory(plain_desc(tensor, as_matrix), ctx.engine, tensor.data);
}

// True when oneDNN can build this primitive descriptor on this CPU. Used to
// choose between a native low-precision path and an upconverting fallback.
template <class MakePd>
bool has_implementation(MakePd&& make) {
  try {
    make();
    return true;
  } catch (const dnnl::error&) {
    return false;
  }
}

// True when oneDNN's chosen implementation is JIT-generated code. On some ISAs
// a primitive exists for a dtype only as a portable C++ fallback ("ref",
// "simple_..."), often 100x slower; a plugin may then prefer another path.
// brgemm ("brg:...") implementations are JIT-generated too.
template <class PrimitiveDesc>
bool is_jit(const PrimitiveDesc& pd) {
  const std::string impl = pd.impl_info_str();
  return impl.find("jit") != std::string::npos || impl.rfind("brg", 0) == 0;
}

// True when oneDNN has a JIT bf16 matmul here (AVX512-BF16 / AMX CPUs):
// bf16 inputs and weights, f32 accumulation. Elsewhere plugins compute bf16
// problems in f32 (oneDNN 2.6 has no bf16 matmul on AVX2 at all).
inline bool has_native_bf16_matmul(const dnnl::engine& engine) {
  bool jit = false;
  has_implementation([&] {
    const dnnl::memory::desc a({64, 64}, dnnl::memory::data_type::bf16, dnnl::memory::format_tag::ab);
    const dnnl::memory::desc c({64, 64}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::ab);
    jit = is_jit(dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, a, c), engine));
  });
  return jit;
}

// bf16 <-> f32 for plain buffers, vectorized and threaded. oneDNN 2.6's
// reorders do this with a non-JIT loop on AVX2 (~60 ns per element).
inline void convert_elements(const uint16_t* in, float* out, int64_t count) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < count; ++i) {
    const uint32_t bits = uint32_t(in[i]) << 16;
    std::memcpy(&out[i], &bits, 4);
  }
}
inline void convert_elements(const float* in, uint16_t* out, int64_t count) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < count; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &in[i], 4);
    const bool nan = (bits & 0x7fffffffu) > 0x7f800000u;
    const uint32_t rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;  // nearest even
    out[i] = uint16_t(nan ? ((bits >> 16) | 0x40u) : rounded);
  }
}

// Whether `from -> to` is a plain, same-shape bf16 <-> f32 conversion.
inline bool is_plain_conversion(const dnnl::memory& from, const dnnl::memory& to) {
  using dt = dnnl::memory::data_type;
  const auto a = from.get_desc(), b = to.get_desc();
  const bool types = (a.data_type() == dt::bf16 && b.data_type() == dt::f32) ||
                     (a.data_type() == dt::f32 && b.data_type() == dt::bf16);
  return types && a.dims() == b.dims() && a == row_major(a.dims(), a.data_type()) &&
         b == row_major(b.dims(), b.data_type());
}

inline void convert_now(const dnnl::memory& from, const dnnl::memory& to) {
  const int64_t count = int64_t(from.get_desc().get_size() /
                                (from.get_desc().data_type() == dnnl::memory::data_type::f32 ? 4 : 2));
  if (from.get_desc().data_type() == dnnl::memory::data_type::bf16)
    convert_elements(static_cast<const uint16_t*>(from.get_data_handle()),
                     static_cast<float*>(to.get_data_handle()), count);
  else
    convert_elements(static_cast<const float*>(from.get_data_handle()),
                     static_cast<uint16_t*>(to.get_data_handle()), count);
}

// Runs a list of steps in order and waits: an Instance's execute() must be
// complete when it returns (the host owns the clock). A step is a oneDNN
// primitive or, where oneDNN has none, a host function.
class Sequence {
 public:
  void add(dnnl::primitive primitive, std::unordered_map<int, dnnl::memory> args) {
    steps_.push_back({std::move(primitive), std::move(args), {}});
  }
  void add_host(std::function<void()> function) {
    steps_.push_back({{}, {}, std::move(function)});
  }
  void run(dnnl::stream& stream) {
    for (auto& step : steps_) {
      if (step.host) {
        stream.wait();  // earlier primitives must have finished writing
        step.host();
      } else {
        step.primitive.execute(stream, step.args);
      }
    }
    stream.wait();
  }
  // Converts between dtypes/layouts: the vectorized helper for plain
  // bf16<->f32, a oneDNN reorder otherwise.
  void add_conversion(const dnnl::memory& from, const dnnl::memory& to) {
    if (is_plain_conversion(from, to)) add_host([from, to] { convert_now(from, to); });
    else add(dnnl::reorder(from, to), {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}});
  }
  bool empty() const { return steps_.empty(); }

 private:
  struct Step {
    dnnl::primitive primitive;
    std::unordered_map<int, dnnl::memory> args;
    std::function<void()> host;
  };
  std::vector<Step> steps_;
};

// Activations arrive in the problem dtype. When the compute dtype differs, a
// converted copy is made at the start of every execute() (it is part of the cost).
inline dnnl::memory input_as(Sequence& steps, const dnnl::memory& host,
                             dnnl::memory::data_type type, const dnnl::engine& engine) {
  if (host.get_desc().data_type() == type) return host;
  dnnl::memory converted(row_major(host.get_desc().dims(), type), engine);
  steps.add_conversion(host, converted);
  return converted;
}

// Where a primitive should write an output: the host buffer itself, or a
// compute-dtype scratch that output_from() converts back afterwards.
inline dnnl::memory output_as(const dnnl::memory& host, dnnl::memory::data_type type,
                              const dnnl::engine& engine) {
  if (host.get_desc().data_type() == type) return host;
  return dnnl::memory(row_major(host.get_desc().dims(), type), engine);
}
inline void output_from(Sequence& steps, const dnnl::memory& computed, const dnnl::memory& host) {
  if (computed.get_data_handle() != host.get_data_handle()) steps.add_conversion(computed, host);
}

// Reorders `source` into a new memory of `target` descriptor once (e.g. weight
// pre-packing into the layout a matmul prefers).
inline dnnl::memory reordered(dnnl::memory source, const dnnl::memory::desc& target,
                              Context& ctx) {
  if (source.get_desc() == target) return source;
  if (source.get_desc().data_type() != target.data_type()) {
    // Change the dtype on the fast path first, then let oneDNN change the layout.
    dnnl::memory converted(row_major(source.get_desc().dims(), target.data_type()), ctx.engine);
    if (!is_plain_conversion(source, converted)) throw Unimplemented("unsupported dtype conversion");
    convert_now(source, converted);
    return reordered(converted, target, ctx);
  }
  dnnl::memory out(target, ctx.engine);
  dnnl::reorder(source, out).execute(ctx.stream, source, out);
  ctx.stream.wait();
  return out;
}

}  // namespace archbench::sdk::cpu
