// The plugin code the parent process needs while it plans and records — a
// variant's validate(), its describe() for a row's cost model, its mixer.qkv/1
// adapter (get_proc_address, at_context) — run in forked children, so a plugin
// that crashes or hangs there costs the problem it was asked about (recorded as
// crashed) instead of the whole `run` or `list` (issue 13). Loading is probed
// the same way (Registry::probe_library); measuring already runs in children.
//
// How: main() installs a PluginCallGate. In that process every such call is an
// answer looked up by the call's key (variant, problem, arguments); an answer
// not known yet is computed in a child of its own. One child per call would make
// planning a big suite slow, so prefetch_plugin_calls() first runs the whole
// plan in ONE child that computes every answer it meets and appends each to a
// file as it goes. If that child crashes, the last line names the call it was in:
// that call alone is answered "crashed" and a fresh child carries on from there.
// The parent then plans with the answers: the same plan, and no plugin code.
//
// Without a gate (unit tests) and in any child (measuring, probing), a call runs
// the plugin directly: a child is where plugin code is meant to run.
#pragma once

#include <archbench/plugin_abi.h>

#include <sys/types.h>

#include <functional>
#include <string>
#include <unordered_map>

namespace archbench {

// One call's answer: the text its computation returned (each call site encodes
// its own), or, when the child that ran it crashed or hung, why.
struct CallAnswer {
  std::string text;
  std::string crashed;  // "killed by signal 11 (Segmentation fault)", ...; "" when it answered
  bool hung = false;    // it ran past its limit
  bool ok() const { return crashed.empty(); }
  // "validate() crashed (killed by signal 11 (Segmentation fault))" for `call` = "validate()".
  std::string failure(const std::string& call) const;
};

// The answer to `key`, computed by `compute` where it is safe (see above).
// `compute` returns one line of text (no '\n') and makes no plugin_call itself.
CallAnswer plugin_call(const std::string& key, const std::function<std::string()>& compute);

// A call's key: what is called, on which variant (its table's address: the same
// in every child, since plugins are loaded before the gate's children fork), with
// which problem (every value, the dtype and the seed, bit for bit) and `extra`.
std::string call_key(const char* call, const ab_variant& variant, const ab_problem& problem,
                     const std::string& extra = "");

// The seconds one call may take in its child before it counts as hung.
inline constexpr double kPluginCallSeconds = 10;

// Runs `work` (planning, estimating) once in a child to learn the answers it
// needs; its output and its errors are dropped (the parent runs it again for
// real). Does nothing without a gate.
void prefetch_plugin_calls(const std::function<void()>& work);

class PluginCallGate {
 public:
  PluginCallGate();  // installs the gate for this process (one at a time)
  ~PluginCallGate();
  PluginCallGate(const PluginCallGate&) = delete;
  PluginCallGate& operator=(const PluginCallGate&) = delete;

  size_t answers_known() const { return answers_.size(); }
  size_t children_started() const { return children_; }  // single calls and prefetches (tests)

 private:
  friend CallAnswer plugin_call(const std::string&, const std::function<std::string()>&);
  friend void prefetch_plugin_calls(const std::function<void()>&);
  void prefetch(const std::function<void()>& work);

  pid_t owner_;                                        // the process the gate protects
  std::unordered_map<std::string, CallAnswer> answers_;
  int record_fd_ = -1;                                 // in a prefetching child: where answers go
  size_t children_ = 0;
};

}  // namespace archbench
