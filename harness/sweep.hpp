// Comma lists on the command line expand to sweeps, as llama-bench does:
// `--problem 'norm/rmsnorm:t128,256.dm1024'` is t128.dm1024 and t256.dm1024.
// A list repeats its token's key for bare numbers (t128,256 = t128,t256) and its
// enum key for bare choices (qkn-none,head = qkn-none,qkn-head); bare enums and
// full tokens are taken as written (rope,nope; t128,t256).
#pragma once

#include <string>
#include <vector>

namespace archbench {

// Every problem string (a task row's "@..." part is kept as written) with its
// lists expanded, in order, duplicates dropped. More than 10000 strings from one
// argument -> InputError naming --problem.
std::vector<std::string> expand_problem_sweeps(const std::vector<std::string>& problems);

// "1,2,4" -> {1, 2, 4}: each a whole number in [1, 4096], else InputError naming `flag`.
std::vector<int> parse_count_list(const std::string& text, const std::string& flag);

}  // namespace archbench
