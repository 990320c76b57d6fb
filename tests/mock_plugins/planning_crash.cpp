// Mock: plugin code the parent runs while planning and recording, crashing.
// mock/validate-crash segfaults in validate() for n = 13 (and behaves for every
// other n); mock/describe-crash segfaults in describe(); mock/at-context-crash
// offers contract mixer.qkv/1 through an adapter whose at_context() segfaults.
// Each must cost only its problem or task row (recorded as crashed) while the
// run goes on (issue 13).
#include "mock_variant.hpp"

#include <archbench/sdk_mixer_qkv.hpp>

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

struct AtContextCrash : mock::CopyVariant {
  struct Adapter : sdk::MixerQkv {
    using MixerQkv::MixerQkv;
    uint32_t at_context(const sdk::Problem&, int64_t, std::vector<double>&) const override {
      std::raise(SIGSEGV);
      return 0;
    }
    ab_qkv_layout layout(const sdk::Problem&) const override { return {}; }
    void write_inputs(const sdk::Problem&, const sdk::Tensors&, const float*, const float*, const float*) const override {}
    void read_output(const sdk::Problem&, const sdk::Tensors&, float*) const override {}
  };
  AtContextCrash() : CopyVariant("mock/at-context-crash"), adapter_(*this) {
    implement(AB_CONTRACT_MIXER_QKV, adapter_.table());
  }
  Adapter adapter_;
};

ARCHBENCH_PLUGIN("planning_crash", "0.0.1", ValidateCrash, DescribeCrash, AtContextCrash)
