// Token preparation for the CPU backend: one head's q, k, v rows in f32 with
// everything elementwise already applied (elu+1, GDN's causal conv + SiLU and
// L2 norms, the 1/sqrt(dk) scale on q) and the log-decays and betas beside
// them, so the chunk and decode kernels see only the recurrence itself.
#include "cpu_kernels.hpp"
#include "fast_math.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace archbench::plugins::mixers::cpu {

float load(const void* data, ab_dtype dtype, int64_t index) {
  if (dtype == AB_DTYPE_F32) return static_cast<const float*>(data)[index];
  return sdk::bf16_to_f32(static_cast<const uint16_t*>(data)[index]);
}

void store_row(void* data, ab_dtype dtype, int64_t offset, const float* row, int64_t count) {
  if (dtype == AB_DTYPE_F32) {
    std::memcpy(static_cast<float*>(data) + offset, row, size_t(count) * 4);
    return;
  }
  auto* out = static_cast<uint16_t*>(data) + offset;
  for (int64_t i = 0; i < count; ++i) out[i] = sdk::f32_to_bf16(row[i]);
}

namespace {

void load_row(const void* data, ab_dtype dtype, int64_t offset, int64_t count, float* out) {
  if (dtype == AB_DTYPE_F32) {
    std::memcpy(out, static_cast<const float*>(data) + offset, size_t(count) * 4);
    return;
  }
  const auto* in = static_cast<const uint16_t*>(data) + offset;
  for (int64_t i = 0; i < count; ++i) {
    const uint32_t bits = uint32_t(in[i]) << 16;
    std::memcpy(&out[i], &bits, 4);
  }
}

// Raw inputs of channels [c0, c0 + count) at position tau relative to the
// step: the q/k/v tensors from 0 on; before that the conv window (decode) or
// zeros (a fresh prefill). Channels are [q | k | v] as the convolution sees them.
void raw_channels(const Shape& s, const Inputs& in, int64_t b, int64_t tau, int64_t c0, int64_t count, float* out) {
  const int64_t qk = s.qk_heads * s.dk, T = s.tokens();
  if (tau < 0) {
    if (s.mode == Mode::decode && in.conv_state) {
      const int64_t H = s.conv_history();
      load_row(in.conv_state, s.dtype, (b * H + H + tau) * s.conv_channels() + c0, count, out);
    } else {
      std::fill(out, out + count, 0.0f);
    }
    return;
  }
  const int64_t row = b * T + tau;
  while (count > 0) {  // the range may span the q, k and v segments
    const int64_t end = c0 < qk ? qk : c0 < 2 * qk ? 2 * qk : s.conv_channels();
    const int64_t piece = std::min(count, end - c0);
    if (c0 < qk) load_row(in.q, s.dtype, row * qk + c0, piece, out);
    else if (c0 < 2 * qk) load_row(in.k, s.dtype, row * qk + c0 - qk, piece, out);
    else load_row(in.v, s.dtype, row * s.heads * s.dv + c0 - 2 * qk, piece, out);
    c0 += piece, count -= piece, out += piece;
  }
}

// Where channels [c0, c0 + count) of position tau can be read in place: an f32
// input row inside one of the q/k/v segments; null where the row must be
// staged (bf16, or before the prompt).
const float* row_in_place(const Shape& s, const Inputs& in, int64_t b, int64_t tau, int64_t c0, int64_t count) {
  if (s.dtype != AB_DTYPE_F32 || tau < 0) return nullptr;
  const int64_t qk = s.qk_heads * s.dk, row = b * s.tokens() + tau;
  if (c0 + count <= qk) return static_cast<const float*>(in.q) + row * qk + c0;
  if (c0 >= qk && c0 + count <= 2 * qk) return static_cast<const float*>(in.k) + row * qk + c0 - qk;
  if (c0 >= 2 * qk) return static_cast<const float*>(in.v) + row * s.heads * s.dv + c0 - 2 * qk;
  return nullptr;
}

// Channels [c0, c0 + count) of tokens [t0, t0 + n) after the causal conv and
// SiLU, into out [n, count]. f32 rows are read in place; others are staged in
// `rows.raw` once for the whole range. One head's channels are a short piece of
// each token's row (512 bytes of an 8 KB row at 16 heads of 128), so every
// row is a new page the hardware prefetcher does not follow: the rows a few
// tokens ahead are prefetched by hand.
void convolved(const Shape& s, const Inputs& in, int64_t b, int64_t t0, int64_t n, int64_t c0, int64_t count,
               TokenRows& rows, float* out) {
  const int64_t W = s.conv, C = s.conv_channels();
  if (W == 0) {
    for (int64_t i = 0; i < n; ++i) raw_channels(s, in, b, t0 + i, c0, count, out + i * count);
    return;
  }
  const int64_t taps = n + W - 1;  // input rows the n tokens read
  std::vector<const float*>& window = rows.window;
  std::vector<float>& raw = rows.raw;
  window.assign(size_t(taps), nullptr);
  raw.resize(size_t(taps * count));
  for (int64_t r = 0; r < taps; ++r) {
    const int64_t tau = t0 - (W - 1) + r;
    window[size_t(r)] = row_in_place(s, in, b, tau, c0, count);
    if (!window[size_t(r)]) {
      raw_channels(s, in, b, tau, c0, count, raw.data() + r * count);
      window[size_t(r)] = raw.data() + r * count;
    }
  }
  constexpr int64_t kAhead = 8;  // tokens of prefetch distance
  for (int64_t i = 0; i < n; ++i) {
    if (i + kAhead + W - 1 < taps) {
      const char* next = reinterpret_cast<const char*>(window[size_t(i + kAhead + W - 1)]);
      for (int64_t byte = 0; byte < count * 4; byte += 64) __builtin_prefetch(next + byte);
    }
    float* o = out + i * count;
    const float* const* x = window.data() + i;
    if (W == 4) {  // the usual width: the four taps in one pass, no partial sums stored
      const float *t0p = in.conv_taps.data() + c0, *t1p = t0p + C, *t2p = t1p + C, *t3p = t2p + C;
      const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
      for (int64_t c = 0; c < count; ++c) o[c] = silu(t0p[c] * x0[c] + t1p[c] * x1[c] + t2p[c] * x2[c] + t3p[c] * x3[c]);
      continue;
    }
    std::fill(o, o + count, 0.0f);
    for (int64_t w = 0; w < W; ++w) {
      const float* tap = in.conv_taps.data() + w * C + c0;
      const float* xw = x[w];
      for (int64_t c = 0; c < count; ++c) o[c] += tap[c] * xw[c];
    }
    for (int64_t c = 0; c < count; ++c) o[c] = silu(o[c]);
  }
}

// x *= scale / |x|. The squares are summed in 16 independent lanes: one
// running double sum is a chain of dependent adds the compiler may not
// reorder (about 4 cycles an element, a third of a GDN prefill's preparation).
void l2_normalize(float* x, int64_t n, float scale) {
  double lanes[16] = {};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int64_t j = 0; j < 16; ++j) lanes[j] += double(x[i + j]) * x[i + j];
  double sum = 0;
  for (; i < n; ++i) sum += double(x[i]) * x[i];
  for (double lane : lanes) sum += lane;
  const float factor = float(double(scale) / std::sqrt(sum + 1e-6));
  for (i = 0; i < n; ++i) x[i] *= factor;
}

}  // namespace

void load_tokens(const Shape& s, const Inputs& in, int64_t b, int64_t h, int64_t t0, int64_t n, int64_t padded,
                 TokenRows& rows) {
  const int64_t dk = s.dk, dv = s.dv, T = s.tokens(), H = s.heads, QH = s.qk_heads, g = s.qk_head_of(h);
  // Every real row is overwritten below: only the padding needs zeros.
  for (auto [buffer, width] : {std::pair{&rows.q, dk}, std::pair{&rows.k, dk}, std::pair{&rows.v, dv}}) {
    buffer->resize(size_t(padded * width));
    std::fill(buffer->begin() + n * width, buffer->end(), 0.0f);
  }
  rows.per_channel = s.rule == Rule::gla;
  const bool decays = s.rule != Rule::linear || s.decay != Decay::none;
  rows.decay.assign(decays ? size_t(padded * (rows.per_channel ? dk : 1)) : 0, 1.0f);
  rows.beta.assign(s.rule == Rule::delta ? size_t(padded) : 0, 0.0f);
  const float scale = float(s.scale());
  if (s.rule == Rule::delta) {
    convolved(s, in, b, t0, n, g * dk, dk, rows, rows.q.data());
    convolved(s, in, b, t0, n, QH * dk + g * dk, dk, rows, rows.k.data());
    convolved(s, in, b, t0, n, 2 * QH * dk + h * dv, dv, rows, rows.v.data());
  }
  for (int64_t i = 0; i < n; ++i) {
    const int64_t t = t0 + i, row = b * T + t;
    float *q = rows.q.data() + i * dk, *k = rows.k.data() + i * dk, *v = rows.v.data() + i * dv;
    if (s.rule == Rule::delta) {
      l2_normalize(q, dk, scale);  // the query's 1/sqrt(dk) folded into its norm
      l2_normalize(k, dk, 1.0f);
      rows.beta[size_t(i)] = in.beta[row * H + h];
      rows.decay[size_t(i)] = in.alpha[row * H + h];
    } else {
      load_row(in.q, s.dtype, (row * QH + g) * dk, dk, q);
      load_row(in.k, s.dtype, (row * QH + g) * dk, dk, k);
      load_row(in.v, s.dtype, (row * H + h) * dv, dv, v);
      if (s.rule == Rule::linear && s.feature == FeatureMap::elu1)
        for (int64_t d = 0; d < dk; ++d) {
          q[d] = q[d] > 0 ? q[d] + 1.0f : fast_exp(q[d]);
          k[d] = k[d] > 0 ? k[d] + 1.0f : fast_exp(k[d]);
        }
      if (s.rule == Rule::gla)
        std::copy_n(in.gate + (row * H + h) * dk, dk, rows.decay.data() + i * dk);
      else if (decays)
        rows.decay[size_t(i)] = float(std::exp(s.log_decay(h)));
      for (int64_t d = 0; d < dk; ++d) q[d] *= scale;
    }
  }
}

void write_conv_window(const Shape& s, const Inputs& in, const Outputs& out) {
  const int64_t H = s.conv_history(), C = s.conv_channels(), T = s.tokens();
  if (H == 0) return;
  std::vector<float> row(static_cast<size_t>(C));
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t r = 0; r < H; ++r) {
      raw_channels(s, in, b, T - H + r, 0, C, row.data());
      store_row(out.conv, s.dtype, (b * H + r) * C, row.data(), C);
    }
}

}  // namespace archbench::plugins::mixers::cpu
