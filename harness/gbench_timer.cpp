// Registers one benchmark per problem and collects what Google Benchmark measured.
#include "harness/gbench_timer.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <mutex>

namespace archbench {
namespace {

class CollectingReporter : public benchmark::BenchmarkReporter {
 public:
  explicit CollectingReporter(TimingResult& out) : out_(out) {}
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred) {
        out_.error = run.error_message;
        continue;
      }
      // GetAdjustedRealTime is per iteration, in the benchmark's unit (ns here).
      const double seconds = run.GetAdjustedRealTime() * 1e-9;
      if (run.run_type == Run::RT_Iteration) {
        out_.samples.push_back(seconds);
        out_.iterations = run.iterations;
      } else if (run.aggregate_name == "mean") {
        out_.mean_s = seconds;
      } else if (run.aggregate_name == "median") {
        out_.median_s = seconds;
      } else if (run.aggregate_name == "stddev") {
        out_.stddev_s = seconds;
      }
    }
  }

 private:
  TimingResult& out_;
};

void initialize_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    static char program[] = "archbench";
    static char* argv[] = {program, nullptr};
    int argc = 1;
    benchmark::Initialize(&argc, argv);
  });
}

}  // namespace

TimingResult time_with_gbench(const std::string& name, const Measurement& measurement,
                              const std::function<double()>& one_iteration) {
  initialize_once();
  TimingResult result;
  benchmark::ClearRegisteredBenchmarks();
  benchmark::RegisterBenchmark(name.c_str(), [&](benchmark::State& state) {
    for (auto _ : state) {
      try {
        state.SetIterationTime(one_iteration());
      } catch (const std::exception& e) {
        state.SkipWithError(e.what());
        break;
      }
    }
  })
      ->UseManualTime()
      ->Unit(benchmark::kNanosecond)
      ->Repetitions(std::max(1, measurement.repetitions))
      ->MinTime(measurement.min_time_s)
      ->MinWarmUpTime(measurement.warmup_s)
      ->ReportAggregatesOnly(false);
  CollectingReporter reporter(result);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::ClearRegisteredBenchmarks();
  if (!result.samples.empty()) {
    result.min_s = *std::min_element(result.samples.begin(), result.samples.end());
    if (result.samples.size() == 1) result.mean_s = result.median_s = result.samples[0];
  }
  return result;
}

}  // namespace archbench
