/* The layouts ABI 1 and 2 plugins were built with, where ABI 3 changed them:
 * describe() filled an ab_problem_info of at most 16 tensors whose descs end at
 * init_high, and the variant table ended at `record` (ABI 1: before it). A host
 * that speaks ABI 1 and 2 reads old plugins through these; a plugin author
 * never needs them. Every other struct is the same in all three versions. */
#ifndef ARCHBENCH_PLUGIN_ABI_V2_H
#define ARCHBENCH_PLUGIN_ABI_V2_H

#include <archbench/plugin_abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AB_MAX_TENSORS_V2 16

typedef struct ab_tensor_desc_v2 {
  uint32_t struct_size;
  char name[32];
  ab_tensor_role role;
  ab_dtype dtype;
  uint32_t rank;
  int64_t dims[AB_MAX_RANK];
  double init_low;
  double init_high;
} ab_tensor_desc_v2;

typedef struct ab_problem_info_v2 {
  uint32_t struct_size;
  uint32_t tensor_count;
  ab_tensor_desc_v2 tensors[AB_MAX_TENSORS_V2];
  double flops;
  double bytes;
  double tokens;
  double kv_cache_bytes_per_token;
} ab_problem_info_v2;

/* The size of an ABI 2 variant table (ABI 1: offsetof(ab_variant, record)). */
#define AB_VARIANT_SIZE_V2 offsetof(ab_variant, contracts)

#ifdef __cplusplus
}
#endif
#endif /* ARCHBENCH_PLUGIN_ABI_V2_H */
