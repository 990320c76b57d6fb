// The CPU backend's runner: execute() on host tensors, timed with the host clock.
#include "harness/gbench_timer.hpp"
#include "harness/instance_runner.hpp"
#include "harness/variant_abi.hpp"

#include <archbench/sdk.hpp>

#include <stdexcept>

namespace archbench {
namespace {

class CpuRunner : public InstanceRunner {
 public:
  CpuRunner(const ab_variant& variant, ab_instance* instance, TensorSet& tensors)
      : variant_(variant), instance_(instance, variant.destroy), tensors_(tensors) {}

  std::string run_checked() override {
    tensors_.poison_outputs();
    if (ab_status s = variant_.execute(instance_.get()); s != AB_OK)
      return "execute: " + status_reason(s, nullptr);
    return {};
  }
  double timed_iteration() override {
    tensors_.set_canaries();
    const double seconds = timed_call([&] { return variant_.execute(instance_.get()); });
    if (!tensors_.canaries_written()) throw std::runtime_error("an execute() left its outputs unwritten");
    return seconds;
  }
  void stage_input_sets(TensorSet::InputSnapshot first, TensorSet::InputSnapshot second) override {
    sets_[0] = std::move(first);
    sets_[1] = std::move(second);
  }
  void use_input_set(int which) override { tensors_.restore_inputs(sets_[which]); }
  void output_elements(uint32_t tensor, const std::vector<int64_t>& at, std::vector<double>& values) override {
    values.resize(at.size());
    for (size_t k = 0; k < at.size(); ++k)
      values[k] = sdk::element_as_double(tensors_.bound()[tensor].data, tensors_.info().tensors[tensor].dtype, at[k]);
  }
  std::vector<std::string> damaged_guards() override { return tensors_.damaged_guards(); }

 private:
  const ab_variant& variant_;
  // Plugin-owned: destroyed by the plugin whatever happens.
  std::unique_ptr<ab_instance, void (*)(ab_instance*)> instance_;
  TensorSet& tensors_;
  TensorSet::InputSnapshot sets_[2];
};

}  // namespace

std::string status_reason(ab_status status, const char* detail) {
  // The plugin's own words when it gave some, else the status in words
  // ("out of memory", not "status 3").
  std::string reason = detail && *detail ? detail : "";
  if (reason.empty()) reason = status_text(status);
  return reason;
}

CreatedRunner create_cpu_runner(const ab_variant& variant, const ab_problem& problem,
                                const ab_host& host, TensorSet& tensors) {
  ab_instance* instance = nullptr;
  char error[512] = {};
  const ab_status created = variant.create(variant.context, &problem, AB_BACKEND_CPU, &host,
                                           tensors.bound(), tensors.count(), &instance, error, sizeof error);
  error[sizeof error - 1] = '\0';  // a plugin that filled the buffer left no end
  if (created == AB_ERR_UNIMPLEMENTED) return {nullptr, "unimplemented", status_reason(created, error)};
  if (created != AB_OK) return {nullptr, "failed", "create: " + status_reason(created, error)};
  return {std::make_unique<CpuRunner>(variant, instance, tensors), "", ""};
}

}  // namespace archbench
