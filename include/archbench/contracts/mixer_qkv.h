/* Contract "mixer.qkv/1": core-level sequence mixing, the form the accuracy
 * tasks (needle, multihop) drive. A task hands the variant queries, keys and
 * values and reads its outputs back, all f32 in [batch, tokens, heads, dim]:
 *
 *   q    [batch, tokens, heads,    dk]
 *   k    [batch, tokens, kv_heads, dk]
 *   v    [batch, tokens, kv_heads, dv]
 *   out  [batch, tokens, heads,    dv]   (causal: token t mixes tokens <= t)
 *
 * A variant that implements it lists "mixer.qkv/1" in ab_variant.contracts and
 * returns this table from get_proc_address(context, "mixer.qkv/1"). The adapter
 * maps the contract onto the variant's own tensors: an attention variant copies
 * q, k, v straight into its inputs; a latent-cache or state-space variant may
 * project them. The host never looks for a tensor or parameter by name.
 */
#ifndef ARCHBENCH_CONTRACTS_MIXER_QKV_H
#define ARCHBENCH_CONTRACTS_MIXER_QKV_H

#include <archbench/plugin_abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AB_CONTRACT_MIXER_QKV "mixer.qkv/1"

typedef struct ab_qkv_layout {
  uint32_t struct_size;
  int64_t batch, tokens, heads, kv_heads, dk, dv;
  /* Leading dims of q and k that the variant rotates (RoPE, half-split pairs);
   * 0 without rotary positions. Tasks put position-free content elsewhere. */
  int64_t rotary_dims;
} ab_qkv_layout;

typedef struct ab_mixer_qkv {
  uint32_t struct_size;
  void* context;
  /* The problem that runs one prefill over `tokens` tokens, made from a suite's
   * problem: writes all param_count values (schema order) into `values`, and in
   * `context_param` the index of the parameter that carries the token count
   * (so results can group a task's rows across contexts). */
  ab_status (*at_context)(void* context, const ab_problem* problem, int64_t tokens, double* values,
                          uint32_t* context_param, char* error, size_t error_size);
  /* The contract's shapes for a problem made by at_context. */
  ab_status (*layout)(void* context, const ab_problem* problem, ab_qkv_layout* layout);
  /* Writes the task's q, k, v into the variant's INPUT tensors (host memory). */
  ab_status (*write_inputs)(void* context, const ab_problem* problem, const ab_tensor* tensors,
                            uint32_t tensor_count, const float* q, const float* k, const float* v);
  /* Reads the variant's outputs (host memory, after a run) into `out`. */
  ab_status (*read_output)(void* context, const ab_problem* problem, const ab_tensor* tensors,
                           uint32_t tensor_count, float* out);
} ab_mixer_qkv;

#ifdef __cplusplus
}
#endif
#endif /* ARCHBENCH_CONTRACTS_MIXER_QKV_H */
