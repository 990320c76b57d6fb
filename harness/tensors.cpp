// Guarded host tensors and their seeded initialization.
#include "harness/tensors.hpp"

#include <archbench/sdk.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

namespace archbench {
namespace {

constexpr uint64_t guard_bytes = 4096;  // a page: also keeps data 64-byte aligned
constexpr uint8_t guard_pattern = 0xA5;

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t hash_name(const char* name) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (; *name; ++name) h = (h ^ uint8_t(*name)) * 1099511628211ull;
  return h;
}

void store_element(void* data, ab_dtype dtype, int64_t index, double value) {
  switch (dtype) {
    case AB_DTYPE_F32: static_cast<float*>(data)[index] = float(value); break;
    case AB_DTYPE_BF16: static_cast<uint16_t*>(data)[index] = sdk::f32_to_bf16(float(value)); break;
    case AB_DTYPE_F16: static_cast<uint16_t*>(data)[index] = sdk::f32_to_f16(float(value)); break;
    case AB_DTYPE_I32: static_cast<int32_t*>(data)[index] = int32_t(std::llround(value)); break;
  }
}

// The poison of an element: NaN for floats, kPoisonInteger for integers.
void poison_element(void* data, ab_dtype dtype, int64_t index) {
  if (dtype == AB_DTYPE_I32) static_cast<int32_t*>(data)[index] = kPoisonInteger;
  else store_element(data, dtype, index, std::numeric_limits<double>::quiet_NaN());
}

bool is_poison(const void* data, ab_dtype dtype, int64_t index) {
  if (dtype == AB_DTYPE_I32) return static_cast<const int32_t*>(data)[index] == kPoisonInteger;
  return std::isnan(sdk::element_as_double(data, dtype, index));
}

double unit_uniform(uint64_t& state) { return double(splitmix64(state) >> 11) * 0x1.0p-53; }

// A standard normal from two uniforms (Box-Muller; the first is kept off 0).
double unit_normal(uint64_t& state) {
  const double u1 = 1.0 - unit_uniform(state), u2 = unit_uniform(state);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

// One element of an elementwise policy (every policy but PERMUTATION).
double draw(const ab_tensor_desc& d, uint64_t& state) {
  const double a = d.init_low, b = d.init_high;
  switch (d.fill) {
    case AB_FILL_NORMAL: return a + b * unit_normal(state);
    case AB_FILL_CONSTANT: return a;
    case AB_FILL_LOG_UNIFORM: return std::exp(std::log(a) + (std::log(b) - std::log(a)) * unit_uniform(state));
    case AB_FILL_INTEGERS: return std::floor(a + (b - a + 1) * unit_uniform(state));
    case AB_FILL_UNIFORM:
    case AB_FILL_PERMUTATION: break;
  }
  return a + (b - a) * unit_uniform(state);
}

// Each row of the last dimension: `row` distinct integers from [0, range), by a
// partial Fisher-Yates shuffle of 0..range-1.
void fill_permutation_row(void* data, ab_dtype dtype, int64_t start, int64_t row, int64_t range,
                          uint64_t& state) {
  std::vector<int64_t> pool(static_cast<size_t>(range));
  for (int64_t i = 0; i < range; ++i) pool[size_t(i)] = i;
  for (int64_t i = 0; i < row; ++i) {
    const int64_t j = i + int64_t(unit_uniform(state) * double(range - i));
    std::swap(pool[size_t(i)], pool[size_t(std::min(j, range - 1))]);
    store_element(data, dtype, start + i, double(pool[size_t(i)]));
  }
}

}  // namespace

uint64_t tensor_bytes(const ab_tensor_desc& desc) {
  return uint64_t(sdk::element_count(desc)) * sdk::dtype_size(desc.dtype);
}

TensorSet::TensorSet(const ab_problem_info& info) : info_(info) {
  for (uint32_t i = 0; i < info_.tensor_count; ++i) {
    Buffer buffer;
    buffer.bytes = tensor_bytes(info_.tensors[i]);
    // aligned_alloc wants a size that is a multiple of the alignment (C11): round
    // the tail guard up; it stays all guard pattern, so it still catches overruns.
    const uint64_t block_bytes = (buffer.bytes + 2 * guard_bytes + guard_bytes - 1) / guard_bytes * guard_bytes;
    buffer.block = static_cast<uint8_t*>(std::aligned_alloc(guard_bytes, block_bytes));
    if (!buffer.block) {
      for (auto& b : buffers_) std::free(b.block);
      throw std::bad_alloc();
    }
    std::memset(buffer.block, guard_pattern, guard_bytes);
    std::memset(buffer.block + guard_bytes + buffer.bytes, guard_pattern, block_bytes - guard_bytes - buffer.bytes);
    buffers_.push_back(buffer);
    ab_tensor bound{};
    bound.struct_size = sizeof(ab_tensor);
    bound.desc = &info_.tensors[i];
    bound.data = buffer.block + guard_bytes;
    bound.bytes = buffer.bytes;
    bound_.push_back(bound);
  }
}

TensorSet::~TensorSet() {
  for (auto& b : buffers_) std::free(b.block);
}

void TensorSet::fill(uint64_t seed) { fill_where(seed, false); }

void TensorSet::fill_inputs(uint64_t seed) { fill_where(seed, true); }

TensorSet::InputSnapshot TensorSet::snapshot_inputs() const {
  InputSnapshot out;
  for (uint32_t i = 0; i < count(); ++i) {
    if (info_.tensors[i].role != AB_TENSOR_INPUT) continue;
    const auto* data = static_cast<const uint8_t*>(bound_[i].data);
    out.emplace_back(data, data + bound_[i].bytes);
  }
  return out;
}

void TensorSet::restore_inputs(const InputSnapshot& snapshot) {
  size_t next = 0;
  for (uint32_t i = 0; i < count(); ++i)
    if (info_.tensors[i].role == AB_TENSOR_INPUT) std::memcpy(bound_[i].data, snapshot.at(next++).data(), bound_[i].bytes);
}

void TensorSet::fill_where(uint64_t seed, bool inputs_only) {
  for (uint32_t i = 0; i < count(); ++i) {
    const ab_tensor_desc& d = info_.tensors[i];
    if (d.role == AB_TENSOR_OUTPUT || (inputs_only && d.role != AB_TENSOR_INPUT)) continue;
    const int64_t n = sdk::element_count(d);
    const uint64_t stream = seed * 0x9E3779B97F4A7C15ull ^ hash_name(d.name);
    if (d.fill == AB_FILL_PERMUTATION) {
      const int64_t row = d.rank ? d.dims[d.rank - 1] : 1;
      const int64_t range = d.init_low > 0 ? int64_t(d.init_low) : row;
#pragma omp parallel for schedule(static)
      for (int64_t start = 0; start < n; start += row) {
        uint64_t state = stream + uint64_t(start / row) * 0xD1B54A32D192ED03ull;
        fill_permutation_row(bound_[i].data, d.dtype, start, row, range, state);
      }
      continue;
    }
    // Chunks with their own derived state: parallel, yet independent of thread count.
    constexpr int64_t chunk = 1 << 16;
#pragma omp parallel for schedule(static)
    for (int64_t start = 0; start < n; start += chunk) {
      uint64_t state = stream + uint64_t(start / chunk) * 0xD1B54A32D192ED03ull;
      const int64_t end = std::min(n, start + chunk);
      for (int64_t e = start; e < end; ++e) store_element(bound_[i].data, d.dtype, e, draw(d, state));
    }
  }
}

void TensorSet::poison_outputs() {
  for (uint32_t i = 0; i < count(); ++i) {
    const ab_tensor_desc& d = info_.tensors[i];
    if (d.role != AB_TENSOR_OUTPUT) continue;
    const int64_t n = sdk::element_count(d);
#pragma omp parallel for schedule(static)
    for (int64_t e = 0; e < n; ++e) poison_element(bound_[i].data, d.dtype, e);
  }
}

void TensorSet::set_canaries() {
  for (uint32_t i = 0; i < count(); ++i) {
    const ab_tensor_desc& d = info_.tensors[i];
    if (d.role != AB_TENSOR_OUTPUT) continue;
    poison_element(bound_[i].data, d.dtype, 0);
    poison_element(bound_[i].data, d.dtype, sdk::element_count(d) - 1);
  }
}

bool TensorSet::canaries_written() const {
  for (uint32_t i = 0; i < count(); ++i) {
    const ab_tensor_desc& d = info_.tensors[i];
    if (d.role != AB_TENSOR_OUTPUT) continue;
    const int64_t last = sdk::element_count(d) - 1;
    if (is_poison(bound_[i].data, d.dtype, 0) || is_poison(bound_[i].data, d.dtype, last))
      return false;
  }
  return true;
}

std::vector<std::string> TensorSet::damaged_guards() const {
  std::vector<std::string> out;
  for (uint32_t i = 0; i < count(); ++i) {
    const uint8_t* block = buffers_[i].block;
    const uint8_t* tail = block + guard_bytes + buffers_[i].bytes;
    for (uint64_t b = 0; b < guard_bytes; ++b) {
      if (block[b] != guard_pattern || tail[b] != guard_pattern) {
        out.push_back(info_.tensors[i].name);
        break;
      }
    }
  }
  return out;
}

std::vector<double> TensorSet::output_as_doubles(uint32_t index) const {
  sdk::Tensors view(bound_.data(), count());
  return view.as_doubles(info_.tensors[index].name);
}

uint64_t TensorSet::total_bytes() const {
  uint64_t total = 0;
  for (const auto& b : buffers_) total += b.bytes;
  return total;
}

}  // namespace archbench
