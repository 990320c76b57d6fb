// attention/dsa on the Vulkan backend (lavapipe in CI) under the Khronos
// validation layer, as test_vulkan.cpp checks attention/mla: the indexer's
// selection compared as index sets ranked by the reference's scores (a
// masked pick or wrong -1 padding fails), the output numerically, over
// prefill and decode, masks with the ring wrapped, rows that keep fewer than
// top_k, layer level with and without a query latent, and bf16.
#include "harness/executor.hpp"
#include "harness/problem.hpp"
#include "problem_runs.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace archbench;

namespace {

// Tighter than the runner's tolerance: f32 lands near 1e-13 when the
// selection matches the reference's; bf16 rounds the cached rows and every
// projection's output (about 1e-5 at layer level), a whole layer's bound.
void require_passes(const std::string& text, bool perf = false) {
  test_support::require_close_on_vulkan(text, perf, test_support::kLayerBf16Bound);
}

// Small latent and indexer widths so the validation layer's run stays short.
constexpr const char* kSmall = ".h4.nope16.rope8.vhd16.kvr32.ih4.id16.ir8";

}  // namespace

TEST_CASE("vulkan: attention/dsa matches the reference - prefill and decode, masks, padding", "[vulkan][dsa]") {
  const char* cases[] = {
      "prefill.b2.s45.k16",              // rows before position 15 keep all they see: -1 padding
      "decode.b2.s70.k16",
      "prefill.b1.s45.k16.window.w20",   // the ring is shorter than the prompt
      "decode.b1.s70.k8.window.w20",     // the ring has wrapped
      "decode.b2.s70.k16.chunk.w32",
      "prefill.b1.s70.k12.chunk.w32",
      "prefill.b1.s30.k64",              // context < top_k: every row keeps all, padded to 30
      "decode.b1.s20.k64",
      "decode.b1.s300.k80",              // the selection and the attention span several workgroup passes
      "prefill.b1.s150.k70.window.w100",
  };
  for (const char* c : cases) require_passes(std::string("attention/dsa:") + c + kSmall + ".f32");
  // Odd widths and a partial block of heads: scalar paths of every shader.
  require_passes("attention/dsa:decode.b1.s33.h5.nope15.rope6.vhd13.kvr33.ih3.id10.ir4.k8.f32");
  require_passes("attention/dsa:prefill.b1.s40.h5.nope15.rope6.vhd13.kvr33.ih3.id10.ir0.k8.f32");
  // The timed path re-checks every iteration against alternating inputs.
  require_passes(std::string("attention/dsa:decode.b1.s200.k32") + kSmall + ".f32", true);
}

TEST_CASE("vulkan: attention/dsa at layer level, with and without a query latent, and in bf16", "[vulkan][dsa]") {
  const char* layer[] = {"prefill.b1.s45.dm64.qr32.k16", "decode.b1.s40.dm64.k16",
                         "decode.b1.s70.dm64.qr32.ln0.window.w20.k16", "prefill.b2.s33.dm48.k8"};
  for (const char* c : layer) require_passes(std::string("attention/dsa:") + c + kSmall + ".f32");
  const char* bf16[] = {"prefill.b2.s45.k16", "decode.b1.s70.k16.chunk.w32", "decode.b1.s40.dm64.qr32.k16",
                        "prefill.b1.s45.dm64.k16.window.w20"};
  for (const char* c : bf16) require_passes(std::string("attention/dsa:") + c + kSmall + ".bf16");
}

TEST_CASE("vulkan: attention/dsa in bf16 at odd widths - the 16-bit storage build", "[vulkan][dsa]") {
  // An odd index_dim (index cache rows mid-word), index_heads at layer level
  // (the fused x [W_ik | W_iw] rows), or any of MLA's odd widths takes the
  // 16-bit build of every shader and of the projections' matmul.
  const char* cases[] = {
      "decode.s10.h2.nope16.rope8.vhd16.kvr32.ih2.id9.ir4.k4",
      "prefill.b2.s45.h4.nope16.rope8.vhd16.kvr32.ih4.id9.ir4.k16",
      "decode.b1.s70.h4.nope16.rope8.vhd16.kvr32.ih3.id16.ir8.k16.chunk.w32.dm64",  // odd index_heads, layer
      "prefill.b1.s45.h3.nope7.rope8.vhd9.kvr15.ih3.id9.ir4.k16.window.w20",
      "decode.b1.s40.h3.nope7.rope8.vhd9.kvr15.ih3.id9.ir4.k16.dm33.qr11",
      "prefill.b1.s33.h3.nope7.rope8.vhd9.kvr15.ih3.id9.ir4.k8.dm33",
  };
  for (const char* c : cases) require_passes(std::string("attention/dsa:") + c + ".bf16");
}
