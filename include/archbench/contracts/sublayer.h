/* Contract "sublayer/1": a layer-level variant seen as one residual branch of
 * a transformer block, x -> y on the hidden stream. The host composes blocks
 * (norms around an attention, a mixer, an FFN or a mixture of experts, with the
 * residual additions between them) from variants that implement it, chaining
 * one part's y into the next part's x, without knowing any tensor's name.
 *
 *   x  an INPUT  holding batch x tokens rows of d_model values, in the problem dtype
 *   y  an OUTPUT of exactly the same shape and dtype, written by every execute
 *
 * Rows are contiguous and token-major ([batch, tokens, d_model] or
 * [rows, d_model]). A variant that implements it lists "sublayer/1" in
 * ab_variant.contracts and returns this table from get_proc_address(context,
 * "sublayer/1"). A problem without a hidden stream (attention at its core
 * level, d_model 0) answers AB_ERR_UNIMPLEMENTED with the reason.
 */
#ifndef ARCHBENCH_CONTRACTS_SUBLAYER_H
#define ARCHBENCH_CONTRACTS_SUBLAYER_H

#include <archbench/plugin_abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AB_CONTRACT_SUBLAYER "sublayer/1"

typedef struct ab_sublayer {
  uint32_t struct_size;
  /* The indexes of x and y among the tensors describe() gives for `problem`. */
  ab_status (*hidden)(void* context, const ab_problem* problem, uint32_t* x_index, uint32_t* y_index,
                      char* error, size_t error_size);
} ab_sublayer;

#ifdef __cplusplus
}
#endif
#endif /* ARCHBENCH_CONTRACTS_SUBLAYER_H */
