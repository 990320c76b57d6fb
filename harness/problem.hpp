// Problems: a variant plus one value per schema parameter, a dtype and a seed.
//
// Every problem has ONE canonical string that parses back to the same problem:
//   <variant>:<token>.<token>...<dtype>[.seed<N>]
// Tokens follow the schema order: integers as key+value ("dm4096"), reals the
// same with 'p' for the decimal point ("eps1e-06", "rf0p5"), enums as key-value
// ("pos-rope") or, for bare enums, the value alone ("prefill"). Every parameter
// is printed, so a stored key never changes meaning when a default changes; the
// seed is printed only when it is not the default 1.
#pragma once

#include "results/store.hpp"

#include <archbench/plugin_abi.h>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace archbench {

class Registry;

struct Problem {
  const ab_variant* variant = nullptr;
  std::vector<double> values;  // schema order; enums hold the choice index
  ab_dtype dtype = AB_DTYPE_F32;
  uint64_t seed = 1;

  ab_problem raw() const;
  std::string canonical() const;
  // The canonical tokens split in two: the workload (non-design parameters,
  // dtype, seed) that designs are compared at, and the variant with its design
  // parameters ("attention/gqa:kvh8.rope...."). See AB_PARAM_FLAG_DESIGN.
  std::string workload() const;
  std::string design() const;
  // design() with only the parameters that differ from their defaults, for tables
  // ("attention/gqa:kvh2.window.w256"); the variant name alone when all are defaults.
  // Not a key: a default may change, the canonical string never does.
  std::string design_compact() const;
  std::string shape() const;        // the canonical string without "variant:"
  std::string params_json() const;  // {"d_model": 4096, ..., "dtype": "f32"}
  // Every parameter with its key, value and printed token, then dtype and seed:
  // what the store keeps so that no reader parses the canonical string.
  std::vector<results::ProblemParam> structured_params() const;
  // The workload with parameter `index` printed as its key and '*' ("s*"), so
  // problems differing only in it share the string (a task row's group key).
  std::string workload_with_wildcard(uint32_t index) const;

 private:
  enum class Part { all, workload, design };
  bool silent(uint32_t index) const;
  std::string tokens(Part part, int wildcard = -1) const;
  std::string dtype_and_seed() const;
};

// A variant's validate() crashed or hung in the child that ran it (see
// harness/plugin_calls.hpp): not bad input, but a broken plugin. The planner
// records `problem` (unvalidated) as crashed and goes on.
struct PluginCrash : std::runtime_error {
  PluginCrash(Problem crashed, const std::string& why) : std::runtime_error(why), problem(std::move(crashed)) {}
  Problem problem;
};

// A parameter value as written in a suite file or on the command line.
using ParamValue = std::variant<int64_t, double, std::string>;

const char* dtype_name(ab_dtype dtype);
ab_dtype parse_dtype(const std::string& text, const std::string& where);  // InputError if unknown
std::vector<std::string> enum_choices(const ab_param_spec& spec);

// Parse a canonical (or any-order, partial) problem string; missing params take
// defaults. Throws InputError naming the bad token and what was expected.
Problem parse_problem(const std::string& text, const Registry& registry);

// Build a problem from named values (suite files). Throws InputError.
Problem make_problem(const ab_variant& variant, const std::map<std::string, ParamValue>& named,
                     ab_dtype dtype, uint64_t seed, const std::string& where);

// Ranges and the variant's own cross-checks. Throws InputError. (A dtype or
// backend the variant lacks is not an input error: it is recorded as unimplemented.)
void validate_problem(const Problem& problem, const std::string& where);

}  // namespace archbench
