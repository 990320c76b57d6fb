/* Extra "parameters/1": the weights a problem holds and the part of them each
 * token uses, for whole-model parameter counts (presets). Without it the host
 * counts the elements of the problem's AB_TENSOR_WEIGHT tensors from describe()
 * and takes every weight as active; a variant whose tokens use only part of its
 * weights (a mixture of experts: the router, its top_k experts and the shared
 * ones) offers this extra so the active count is right.
 *
 * Called at planning time with no tensors: it must be as cheap as describe().
 */
#ifndef ARCHBENCH_EXTRAS_PARAMETERS_H
#define ARCHBENCH_EXTRAS_PARAMETERS_H

#include <archbench/plugin_abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AB_EXTRA_PARAMETERS "parameters/1"

typedef struct ab_parameters {
  uint32_t struct_size;
  /* Writes the problem's total weights and those one token uses (both >= 0, active <= total). */
  ab_status (*parameters)(void* context, const ab_problem* problem, double* total, double* active);
} ab_parameters;

#ifdef __cplusplus
}
#endif

#endif
