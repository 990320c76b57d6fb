// The ssm plugin on the Vulkan backend (lavapipe in CI) under the Khronos
// validation layer, as test_ssm.cpp checks the CPU: Mamba-1's selective scan
// and Mamba-2's recurrence, prefill and decode, f32 and bf16, against the
// sequential double references (every output: y and the state after the last
// token), at widths that leave partial workgroups, batch > 1, groups, the
// gate, and prompts cut into several dispatches by the shaders' token
// segments (vulkan_common.hpp), one of them longer than llvmpipe's 65535-
// iteration loop cap; Mamba-1's whole layer (projections, conv, dt path, scan,
// gate) with the conv window and state a decode carries; then what the shaders
// refuse (odd bf16 widths), recorded with its reason.
#include "problem_runs.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace {

using test_support::kLayerBf16Bound;
using test_support::require_close_on_vulkan;
using test_support::run_vulkan;

}  // namespace

TEST_CASE("vulkan: ssm/mamba's selective scan matches the reference - prefill and decode - f32 and bf16",
          "[vulkan][ssm]") {
  const char* cases[] = {
      "prefill.b2.s37.di40.n16",     // one partial workgroup per sequence
      "prefill.b1.s30.di132.n5.z1",  // an odd state width, the gate, a second workgroup
      "decode.b3.s100.di34.n16.z1",  // one step from the given state
      "decode.b1.s7.di16.n64",
  };
  for (const char* c : cases)
    for (const char* dtype : {".f32", ".bf16"}) require_close_on_vulkan(std::string("ssm/mamba:") + c + dtype);
}

TEST_CASE("vulkan: ssm/mamba2 matches the reference - prefill and decode - groups - f32 and bf16",
          "[vulkan][ssm]") {
  const char* cases[] = {
      "prefill.b2.s131.h4.hd16.n32.g2",  // two groups of two heads
      "prefill.b1.s20.h3.hd130.n20.g3",  // rows past one workgroup, a state width no power of two
      "decode.b2.s9.h4.hd16.n40.g2",
      "decode.b1.s4096.h2.hd8.n64",
  };
  for (const char* c : cases)
    for (const char* dtype : {".f32", ".bf16"}) require_close_on_vulkan(std::string("ssm/mamba2:") + c + dtype);
}

TEST_CASE("vulkan: ssm prefills pass their state across token segments and past llvmpipe's loop cap",
          "[vulkan][ssm]") {
  // Segments of ~1700 (f32) and ~1100 (bf16) tokens at d_state 16, ~450 and
  // ~300 at Mamba-2's d_state 64: each of these crosses at least one boundary.
  for (const char* dtype : {".f32", ".bf16"}) {
    require_close_on_vulkan(std::string("ssm/mamba:prefill.b2.s1800.di6.n16.z1") + dtype);
    require_close_on_vulkan(std::string("ssm/mamba2:prefill.b1.s700.h2.hd4.n64.g1") + dtype);
  }
  // 70000 tokens: one invocation walking them all in one loop would stop at
  // 65535 on llvmpipe and leave the last outputs unwritten.
  require_close_on_vulkan("ssm/mamba:prefill.b1.s70000.di2.n1.f32");
}

TEST_CASE("vulkan: ssm/mamba's layer level matches the reference - prefill and decode - f32 and bf16",
          "[vulkan][ssm][layer]") {
  // Every output is checked: y, state_out and (d_conv > 1) conv_out.
  const char* cases[] = {
      "prefill.b2.s37.di40.dm24.n16.z1",         // dt_rank auto (2), the gate, two sequences
      "prefill.b1.s20.di132.dm48.n6.conv3.dtr4",  // no gate, channels past one workgroup
      "prefill.b2.s2.di8.dm8.n4.dtr2.z1",         // fewer tokens than the conv window
      "decode.b3.s100.di34.dm20.n16.z1",          // conv_state and state carried in, both out
      "decode.b1.s7.di16.dm32.n8.conv2.dtr6",     // a one-input window
      "decode.b2.s5.di8.dm8.n4.conv1.dtr2.z1",    // no window at all (no conv_state, conv_out)
  };
  for (const char* c : cases)
    for (const char* dtype : {".f32", ".bf16"})
      require_close_on_vulkan(std::string("ssm/mamba:") + c + dtype, false, kLayerBf16Bound);
  // A prompt over several scan segments, and 70000 rows: the conv's rows in two
  // dispatches (65535 workgroups a grid dimension), the scan past the loop cap.
  require_close_on_vulkan("ssm/mamba:prefill.b1.s1800.di6.dm8.n16.dtr2.z1.bf16", false, kLayerBf16Bound);
  require_close_on_vulkan("ssm/mamba:prefill.b1.s70000.di2.dm2.n1.conv2.f32");
}

TEST_CASE("vulkan: ssm re-checks the timed path against alternating inputs", "[vulkan][ssm]") {
  require_close_on_vulkan("ssm/mamba:prefill.b1.s64.di64.n16.f32", true);
  require_close_on_vulkan("ssm/mamba2:decode.b2.s100.h2.hd16.n32.bf16", true);
  require_close_on_vulkan("ssm/mamba:decode.b2.s50.di64.dm32.n16.z1.bf16", true, kLayerBf16Bound);
}

TEST_CASE("vulkan: ssm records what the shaders cannot do as unimplemented with the reason", "[vulkan][ssm]") {
  // bf16 outputs are written in pairs of channels.
  const auto odd = run_vulkan("ssm/mamba:prefill.b1.s8.di33.n16.bf16");
  CHECK(odd.outcome == "unimplemented");
  CHECK_THAT(odd.reason, Catch::Contains("d_inner must be even"));
  const auto odd_rows = run_vulkan("ssm/mamba2:decode.b1.s8.h2.hd15.n16.bf16");
  CHECK(odd_rows.outcome == "unimplemented");
  CHECK_THAT(odd_rows.reason, Catch::Contains("head_dim must be even"));
  // Mamba-1's layer: dt_low is a bf16 matmul output and input, stored in pairs.
  const auto layer = run_vulkan("ssm/mamba:prefill.b1.s8.di32.dm16.n8.dtr3.bf16");
  CHECK(layer.outcome == "unimplemented");
  CHECK_THAT(layer.reason, Catch::Contains("dt_rank must be even"));
}
