// The mixers plugin on the Vulkan backend (lavapipe in CI) under the Khronos
// validation layer, as test_mixers.cpp checks the CPU: every variant's
// chunked prefill and recurrent decode against the sequential double
// reference (every output: out, the final or next state, the normalizer and
// conv window), over each option, f32 and bf16, at shapes that cut through
// the shaders' blocks: chunk tails, prompts shorter than a chunk, dk != dv
// (a transposed state cannot pass), value widths past one column block; and
// Gated DeltaNet's whole layer (projections, gates, core, gated norm, out).
#include "problem_runs.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace {

using test_support::kLayerBf16Bound;
using test_support::require_close_on_vulkan;
using test_support::run_vulkan;
using test_support::with;

// Prefills: chunks with a tail, one chunk shorter than the default, a prompt
// shorter than its chunk; decodes at batch > 1.
const char* kCases[] = {".prefill.b2.s37.c16", ".prefill.b1.s70", ".prefill.b2.s5", ".decode.b2.s67", ".decode.b3.s1"};

}  // namespace

TEST_CASE("vulkan: mixer/linear and mixer/gla match the reference - prefill and decode - options - f32 and bf16",
          "[vulkan][mixers]") {
  const char* designs[] = {
      "mixer/linear:fm-elu1.norm1",                   // linear attention, normalized
      "mixer/linear:fm-identity.norm0.decay-retnet",  // retention
      "mixer/linear:fm-elu1.norm1.decay-retnet",
      "mixer/linear:fm-identity.norm0",
      "mixer/gla:",
  };
  for (const char* design : designs)
    for (const char* c : kCases)
      for (const char* dtype : {".f32", ".bf16"}) require_close_on_vulkan(with(design, std::string(c) + ".h3.hd16.vhd24" + dtype));
  // Value widths past one column block: 72 = 32 + 32 + 8 prefill columns,
  // 130 = 64 + 64 + 2 decode lanes in f32 (65 + 65 pairs in bf16).
  for (const char* dtype : {".f32", ".bf16"}) {
    require_close_on_vulkan(std::string("mixer/gla:prefill.b1.s40.c16.h2.hd8.vhd72") + dtype);
    require_close_on_vulkan(std::string("mixer/linear:prefill.b1.s40.c16.h2.hd8.vhd72.fm-elu1.norm1") + dtype);
    require_close_on_vulkan(std::string("mixer/gla:decode.b2.s9.h2.hd8.vhd130") + dtype);
    require_close_on_vulkan(std::string("mixer/linear:decode.b2.s9.h2.hd8.vhd130.fm-elu1.norm1.decay-retnet") + dtype);
  }
}

TEST_CASE("vulkan: mixers prefill prompts whose chunks together exceed llvmpipe's loop cap", "[vulkan][mixers]") {
  // llvmpipe leaves any loop after 65535 iterations of one invocation: a
  // workgroup walking all 8 chunks of these prompts would stop writing part
  // way (NaN outputs); one dispatch per chunk keeps each invocation short.
  require_close_on_vulkan("mixer/gla:prefill.b1.s512.h1.hd128.vhd32.f32");
  require_close_on_vulkan("mixer/linear:prefill.b1.s512.h1.hd64.vhd32.fm-elu1.norm1.bf16");
  require_close_on_vulkan("mixer/gated-deltanet:prefill.b1.s512.h1.hd128.vhd32.f32");
  // The widest heads the schema allows: even one chunk is long work per lane.
  require_close_on_vulkan("mixer/gla:prefill.b1.s128.h1.hd1024.vhd32.f32");
  require_close_on_vulkan("mixer/gated-deltanet:prefill.b1.s128.h1.hd1024.vhd32.f32");
}

TEST_CASE("vulkan: mixers re-check the timed path against alternating inputs", "[vulkan][mixers]") {
  require_close_on_vulkan("mixer/gla:prefill.b1.s50.h2.hd16.vhd8.c16.f32", true);
  require_close_on_vulkan("mixer/linear:decode.b2.s100.h2.hd16.vhd8.f32", true);
}

TEST_CASE("vulkan: mixers record what the shaders cannot do as unimplemented with the reason", "[vulkan][mixers]") {
  // bf16 values travel in pairs.
  const auto odd = run_vulkan("mixer/gla:prefill.b1.s8.h2.hd15.vhd16.bf16");
  CHECK(odd.outcome == "unimplemented");
  CHECK_THAT(odd.reason, Catch::Contains("must be even"));
  // A chunk's score matrix lives in shared memory: 256 x 256 floats fit no device.
  const auto chunk = run_vulkan("mixer/linear:prefill.b1.s300.h2.hd16.c256.f32");
  CHECK(chunk.outcome == "unimplemented");
  CHECK_THAT(chunk.reason, Catch::Contains("bytes of shared memory"));
}

TEST_CASE("vulkan: mixer/gated-deltanet matches the reference - prefill and decode - conv and q/k heads - f32 and bf16",
          "[vulkan][mixers]") {
  const char* designs[] = {
      "mixer/gated-deltanet:conv4",
      "mixer/gated-deltanet:conv0",       // no convolution, no SiLU, no window
      "mixer/gated-deltanet:qkh1.conv3",  // three value heads per q/k head
      "mixer/gated-deltanet:conv1",       // a convolution without a window to keep
  };
  for (const char* design : designs)
    for (const char* c : kCases)
      for (const char* dtype : {".f32", ".bf16"}) require_close_on_vulkan(with(design, std::string(c) + ".h3.hd16.vhd24" + dtype));
  for (const char* dtype : {".f32", ".bf16"}) {
    require_close_on_vulkan(std::string("mixer/gated-deltanet:prefill.b1.s40.c16.h2.qkh1.hd8.vhd72") + dtype);
    require_close_on_vulkan(std::string("mixer/gated-deltanet:decode.b2.s9.h2.hd8.vhd130") + dtype);
  }
  require_close_on_vulkan("mixer/gated-deltanet:prefill.b1.s50.h2.hd16.vhd8.c16.f32", true);
}

TEST_CASE("vulkan: mixer/gated-deltanet's layer level matches the reference - prefill and decode - f32 and bf16",
          "[vulkan][mixers][layer]") {
  // Every output is checked: y, the final or next state and the conv window.
  const std::string layer = "mixer/gated-deltanet:h4.qkh2.hd16.vhd24.conv4.dm40";  // test_mixers.cpp's kLayer
  for (const char* c : {".prefill.b2.s37.c16", ".prefill.b1.s5", ".decode.b2.s37", ".decode.b1.s1"})
    for (const char* dtype : {".f32", ".bf16"}) require_close_on_vulkan(layer + c + dtype, false, kLayerBf16Bound);
  const char* others[] = {
      "mixer/gated-deltanet:prefill.b1.s19.h3.qkh1.hd8.vhd8.conv1.dm16.c8",  // 3 heads a q/k head, no window
      "mixer/gated-deltanet:decode.b1.s19.h2.hd8.vhd8.conv0.dm16",           // no conv at all
  };
  for (const char* other : others)
    for (const char* dtype : {".f32", ".bf16"}) require_close_on_vulkan(other + std::string(dtype), false, kLayerBf16Bound);
  require_close_on_vulkan(layer + ".prefill.b1.s40.c16.f32", true);  // the timed path re-checked
  const auto odd = run_vulkan("mixer/gated-deltanet:prefill.b1.s8.h2.hd8.vhd8.dm15.bf16");
  CHECK(odd.outcome == "unimplemented");
  CHECK_THAT(odd.reason, Catch::Contains("d_model must be even"));
}
