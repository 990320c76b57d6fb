// Reading a variant's table whatever ABI its plugin speaks: describe() through
// the old 16-tensor layout for ABI 1/2 plugins (their tensors become uniform-
// filled, numerically compared ABI 3 tensors), contracts and extras (ABI 3
// only), and the checks on what describe() declared.
#pragma once

#include <archbench/plugin_abi.h>

#include <string>
#include <vector>

namespace archbench {

// An ab_status in words ("out of memory"); a code outside the enum as
// "unknown status 42" (plugins return whatever they like).
std::string status_text(ab_status status);

// True when the table has the ABI 3 fields (contracts, get_proc_address).
bool has_abi3_fields(const ab_variant& variant);

// describe() into an ABI 3 ab_problem_info, converting an ABI 1/2 answer.
ab_status describe_variant(const ab_variant& variant, const ab_problem& problem, ab_problem_info& info);

// The variant's double reference on `tensors`: one array per OUTPUT, in tensor
// order, sized from its description (what the reference ABI writes into).
ab_status reference_outputs(const ab_variant& variant, const ab_problem& problem, const ab_tensor* tensors,
                            uint32_t count, std::vector<std::vector<double>>& outputs);

// Why the declared tensors cannot be allocated, filled or checked as declared
// (an unknown policy, an index set that is not int32, a scores tensor that is
// missing or of another row count, ...); "" when they can.
std::string check_declared_tensors(const ab_problem_info& info);

// Whether the variant lists `contract` ("mixer.qkv/1"), and its adapter table
// (the variant's get_proc_address), or nullptr.
bool implements(const ab_variant& variant, const std::string& contract);
const void* contract_adapter(const ab_variant& variant, const std::string& contract);
// An extra that is not a contract (e.g. "figures/1"): its table, or nullptr.
const void* extra_table(const ab_variant& variant, const std::string& name);

}  // namespace archbench
