// Version-aware access to variant tables (see variant_abi.hpp).
#include "harness/variant_abi.hpp"

#include <archbench/plugin_abi_v2.h>

#include <cmath>
#include <cstring>
#include <sstream>

namespace archbench {

std::string status_text(ab_status status) {
  switch (status) {
    case AB_OK: return "ok";
    case AB_ERR_INVALID_ARGUMENT: return "invalid argument";
    case AB_ERR_UNIMPLEMENTED: return "unimplemented";
    case AB_ERR_OUT_OF_MEMORY: return "out of memory";
    case AB_ERR_BACKEND: return "backend error";
    case AB_ERR_INCOMPATIBLE_ABI: return "incompatible ABI";
    case AB_ERR_INTERNAL: return "internal error";
  }
  return "unknown status " + std::to_string(int(status));
}

ab_status reference_outputs(const ab_variant& variant, const ab_problem& problem, const ab_tensor* tensors,
                            uint32_t count, std::vector<std::vector<double>>& outputs) {
  outputs.clear();
  for (uint32_t i = 0; i < count; ++i)
    if (tensors[i].desc->role == AB_TENSOR_OUTPUT) {
      int64_t elements = 1;
      for (uint32_t d = 0; d < tensors[i].desc->rank; ++d) elements *= tensors[i].desc->dims[d];
      outputs.emplace_back(size_t(elements), 0.0);
    }
  std::vector<double*> arrays;
  for (auto& o : outputs) arrays.push_back(o.data());
  return variant.reference(variant.context, &problem, tensors, count, arrays.data());
}

bool has_abi3_fields(const ab_variant& variant) { return variant.struct_size >= sizeof(ab_variant); }

ab_status describe_variant(const ab_variant& variant, const ab_problem& problem, ab_problem_info& info) {
  info = ab_problem_info{};
  info.struct_size = sizeof info;
  if (has_abi3_fields(variant)) return variant.describe(variant.context, &problem, &info);
  // An ABI 1/2 plugin writes the old layout: give it one and copy its answer over.
  ab_problem_info_v2 old{};
  old.struct_size = sizeof old;
  const ab_status status = variant.describe(variant.context, &problem, reinterpret_cast<ab_problem_info*>(&old));
  if (status != AB_OK) return status;
  if (old.tensor_count > AB_MAX_TENSORS_V2) return AB_ERR_INTERNAL;
  info.tensor_count = old.tensor_count;
  for (uint32_t i = 0; i < old.tensor_count; ++i) {
    ab_tensor_desc& d = info.tensors[i];
    std::memcpy(&d, &old.tensors[i], sizeof old.tensors[i]);  // the shared prefix
    d.struct_size = sizeof d;
    d.fill = AB_FILL_UNIFORM;
    d.compare = AB_COMPARE_NUMERIC;
  }
  info.flops = old.flops;
  info.bytes = old.bytes;
  info.tokens = old.tokens;
  info.kv_cache_bytes_per_token = old.kv_cache_bytes_per_token;
  return AB_OK;
}

namespace {

// An enum field as the plugin wrote it: any 32-bit value may arrive, and reading
// an out-of-range value through the enum type is undefined behaviour.
template <class Enum>
uint32_t raw(const Enum& field) {
  static_assert(sizeof(Enum) == sizeof(uint32_t));
  uint32_t value;
  std::memcpy(&value, &field, sizeof value);
  return value;
}

int64_t rows_of(const ab_tensor_desc& d) {
  int64_t rows = 1;
  for (uint32_t i = 0; i + 1 < d.rank; ++i) rows *= d.dims[i];
  return rows;
}

std::string check_one(const ab_problem_info& info, const ab_tensor_desc& d) {
  if (raw(d.dtype) > AB_DTYPE_I32) return "has an unknown dtype";
  if (raw(d.role) > AB_TENSOR_STATE) return "has an unknown role";
  if (d.rank == 0 || d.rank > AB_MAX_RANK) return "has rank " + std::to_string(d.rank) + " (expected 1..8)";
  for (uint32_t i = 0; i < d.rank; ++i)
    if (d.dims[i] < 1) return "has a dimension < 1";
  if (d.role == AB_TENSOR_OUTPUT) {
    if (raw(d.compare) > AB_COMPARE_UNCHECKED) return "names an unknown comparison policy";
    if (d.compare == AB_COMPARE_INDEX_SET && d.dtype != AB_DTYPE_I32) return "is an index set but not int32";
    if (d.compare == AB_COMPARE_INDEX_SET && d.scores[0]) {
      for (uint32_t i = 0; i < info.tensor_count; ++i) {
        const ab_tensor_desc& s = info.tensors[i];
        if (std::strncmp(s.name, d.scores, sizeof s.name) != 0) continue;
        if (s.dtype == AB_DTYPE_I32) return std::string("ranks by '") + d.scores + "', which is not a real tensor";
        if (rows_of(s) != rows_of(d)) return std::string("has another row count than its scores '") + d.scores + "'";
        if (s.dims[s.rank - 1] < d.dims[d.rank - 1]) return std::string("selects more than its scores '") + d.scores + "' hold";
        return {};
      }
      return std::string("ranks by '") + d.scores + "', which is not one of the problem's tensors";
    }
    return {};
  }
  const double a = d.init_low, b = d.init_high;
  if (raw(d.fill) > AB_FILL_PERMUTATION) return "names an unknown fill policy";
  switch (d.fill) {
    case AB_FILL_UNIFORM: case AB_FILL_INTEGERS: if (!(a <= b)) return "has a fill range with low > high"; break;
    case AB_FILL_NORMAL: if (!(b >= 0)) return "has a normal fill with a negative deviation"; break;
    case AB_FILL_CONSTANT: if (!std::isfinite(a)) return "has a constant fill that is not finite"; break;
    case AB_FILL_LOG_UNIFORM: if (!(a > 0 && a <= b)) return "has a log-uniform fill outside 0 < low <= high"; break;
    case AB_FILL_PERMUTATION:
      if (d.dtype != AB_DTYPE_I32) return "has a permutation fill but is not int32";
      if (a != 0 && a < double(d.dims[d.rank - 1])) return "has a permutation range shorter than its rows";
      if (a > 2147483647.0) return "has a permutation range beyond int32";
      break;
  }
  if (!std::isfinite(a) || !std::isfinite(b)) return "has a fill parameter that is not finite";
  return {};
}

}  // namespace

std::string check_declared_tensors(const ab_problem_info& info) {
  if (info.tensor_count > AB_MAX_TENSORS) return "describe() declared more than " + std::to_string(AB_MAX_TENSORS) + " tensors";
  for (uint32_t i = 0; i < info.tensor_count; ++i) {
    const ab_tensor_desc& d = info.tensors[i];
    if (std::memchr(d.name, '\0', sizeof d.name) == nullptr) return "describe() declared a tensor name without its end";
    if (std::string why = check_one(info, d); !why.empty()) return std::string("tensor '") + d.name + "' " + why;
  }
  return {};
}

bool implements(const ab_variant& variant, const std::string& contract) {
  if (!has_abi3_fields(variant) || !variant.contracts) return false;
  std::istringstream in(variant.contracts);
  std::string item;
  while (in >> item)
    if (item == contract) return true;
  return false;
}

const void* contract_adapter(const ab_variant& variant, const std::string& contract) {
  if (!implements(variant, contract)) return nullptr;
  return extra_table(variant, contract);
}

const void* extra_table(const ab_variant& variant, const std::string& name) {
  if (!variant.get_proc_address) return nullptr;
  return variant.get_proc_address(variant.context, name.c_str());
}

}  // namespace archbench
