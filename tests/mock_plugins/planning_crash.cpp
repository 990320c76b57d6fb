// Mock: plugin code the parent runs while planning and recording, crashing.
// mock/validate-crash segfaults in validate() for n = 13 (and behaves for every
// other n); mock/describe-crash segfaults in describe(). Each must cost only
// its problem (recorded as crashed) while the run goes on (issue 13).
#include "mock_variant.hpp"

#include <csignal>

namespace sdk = archbench::sdk;

struct ValidateCrash : mock::CopyVariant {
  ValidateCrash() : CopyVariant("mock/validate-crash") {}
  std::string validate(const sdk::Problem& problem) const override {
    if (problem.integer("n") == 13) std::raise(SIGSEGV);
    return {};
  }
};

struct DescribeCrash : mock::CopyVariant {
  DescribeCrash() : CopyVariant("mock/describe-crash") {}
  void describe(const sdk::Problem&, sdk::Info&) const override { std::raise(SIGSEGV); }
};

ARCHBENCH_PLUGIN("planning_crash", "0.0.1", ValidateCrash, DescribeCrash)
