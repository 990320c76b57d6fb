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

void store_element(void* data, ab_dtype dtype, int64_t index, float value) {
  if (dtype == AB_DTYPE_F32) static_cast<float*>(data)[index] = value;
  else static_cast<uint16_t*>(data)[index] = sdk::f32_to_bf16(value);
}

float load_element(const void* data, ab_dtype dtype, int64_t index) {
  if (dtype == AB_DTYPE_F32) return static_cast<const float*>(data)[index];
  return sdk::bf16_to_f32(static_cast<const uint16_t*>(data)[index]);
}

}  // namespace

uint64_t tensor_bytes(const ab_tensor_desc& desc) {
  return uint64_t(sdk::element_count(desc)) * sdk::dtype_size(desc.dtype);
}

TensorSet::TensorSet(const ab_problem_info& info) : info_(info) {
  for (uint32_t i = 0; i < info_.tensor_count; ++i) {
    Buffer buffer;
    buffer.bytes = tensor_bytes(info_.tensors[i]);
    buffer.block = static_cast<uint8_t*>(std::aligned_alloc(guard_bytes, buffer.bytes + 2 * guard_bytes));
    if (!buffer.block) {
      for (auto& b : buffers_) std::free(b.block);
      throw std::bad_alloc();
    }
    std::memset(buffer.block, guard_pattern, guard_bytes);
    std::memset(buffer.block + guard_bytes + buffer.bytes, guard_pattern, guard_bytes);
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

void TensorSet::fill(uint64_t seed) {
  for (uint32_t i = 0; i < count(); ++i) {
    const ab_tensor_desc& d = info_.tensors[i];
    if (d.role == AB_TENSOR_OUTPUT) continue;
    const int64_t n = sdk::element_count(d);
    const double low = d.init_low, span = d.init_high - d.init_low;
    const uint64_t stream = seed * 0x9E3779B97F4A7C15ull ^ hash_name(d.name);
    // Chunks with their own derived state: parallel, yet independent of thread count.
    constexpr int64_t chunk = 1 << 16;
#pragma omp parallel for schedule(static)
    for (int64_t start = 0; start < n; start += chunk) {
      uint64_t state = stream + uint64_t(start / chunk) * 0xD1B54A32D192ED03ull;
      const int64_t end = std::min(n, start + chunk);
      for (int64_t e = start; e < end; ++e) {
        const double unit = double(splitmix64(state) >> 11) * 0x1.0p-53;
        store_element(bound_[i].data, d.dtype, e, float(low + span * unit));
      }
    }
  }
}

void TensorSet::poison_outputs() {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (uint32_t i = 0; i < count(); ++i) {
    const ab_tensor_desc& d = info_.tensors[i];
    if (d.role != AB_TENSOR_OUTPUT) continue;
    const int64_t n = sdk::element_count(d);
#pragma omp parallel for schedule(static)
    for (int64_t e = 0; e < n; ++e) store_element(bound_[i].data, d.dtype, e, nan);
  }
}

void TensorSet::set_canaries() {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (uint32_t i = 0; i < count(); ++i) {
    const ab_tensor_desc& d = info_.tensors[i];
    if (d.role != AB_TENSOR_OUTPUT) continue;
    store_element(bound_[i].data, d.dtype, 0, nan);
    store_element(bound_[i].data, d.dtype, sdk::element_count(d) - 1, nan);
  }
}

bool TensorSet::canaries_written() const {
  for (uint32_t i = 0; i < count(); ++i) {
    const ab_tensor_desc& d = info_.tensors[i];
    if (d.role != AB_TENSOR_OUTPUT) continue;
    const int64_t last = sdk::element_count(d) - 1;
    if (std::isnan(load_element(bound_[i].data, d.dtype, 0)) ||
        std::isnan(load_element(bound_[i].data, d.dtype, last)))
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
