/* Extra "figures/1": named per-result figures a variant computes for one
 * problem, beside the harness's own timing and fidelity. The mixture-of-experts
 * variants report active and total parameters, load imbalance and the dropped
 * fraction; a dense FFN its parameters, so the two can be ranked side by side.
 *
 * A variant offers it by returning this table from get_proc_address(context,
 * "figures/1"). The host calls `figures` in the measuring child, after the
 * reference has run on the first input set, with the same tensors (inputs and
 * weights filled, outputs as the first checked run left them), and stores each
 * figure with the result under its name. Names are [a-z0-9_], at most 31
 * characters; values must be finite. A variant must not report a figure the
 * harness measures itself (time, FLOP/s, error).
 */
#ifndef ARCHBENCH_EXTRAS_FIGURES_H
#define ARCHBENCH_EXTRAS_FIGURES_H

#include <archbench/plugin_abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AB_EXTRA_FIGURES "figures/1"
#define AB_MAX_FIGURES 16

typedef struct ab_figure {
  char name[32];
  double value;
} ab_figure;

typedef struct ab_figures {
  uint32_t struct_size;
  /* Writes up to `capacity` figures into `out` and their count into `written`. */
  ab_status (*figures)(void* context, const ab_problem* problem, const ab_tensor* tensors, uint32_t count,
                       ab_figure* out, uint32_t capacity, uint32_t* written);
} ab_figures;

#ifdef __cplusplus
}
#endif

#endif
