/* archbench plugin ABI — the one C boundary between the host and a plugin.
 *
 * Rules (see README "Writing a plugin"):
 *  1. Only C types cross this boundary: no exceptions, no std:: types, no RTTI.
 *  2. Every struct starts with `struct_size`; readers check it before touching
 *     fields that a newer/older peer may not have (Vulkan-loader style).
 *  3. Versions are negotiated: the host offers [abi_min, abi_max], the plugin
 *     answers the version it will use; no overlap means the plugin is refused.
 *  4. What a plugin allocates, the plugin frees (instances via `destroy`).
 *  5. The host owns the clock and the data: it allocates every tensor, fills the
 *     inputs from a seed, and times `execute`. A plugin only computes.
 *
 * Most authors never touch this header directly: include <archbench/sdk.hpp>,
 * derive from archbench::sdk::Variant and use ARCHBENCH_PLUGIN(...).
 */
#ifndef ARCHBENCH_PLUGIN_ABI_H
#define ARCHBENCH_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AB_ABI_VERSION_MIN 1u
#define AB_ABI_VERSION_MAX 3u  /* 2: Vulkan (ab_vulkan, device buffers, record);
                                  3: int32 tensors, fill and comparison policies,
                                     64 tensors, contracts, extras by name */
#define AB_ENTRY_SYMBOL "archbench_plugin_entry"
#define AB_MAX_RANK 8

typedef enum ab_status {
  AB_OK = 0,
  AB_ERR_INVALID_ARGUMENT = 1,   /* problem violates the variant's schema */
  AB_ERR_UNIMPLEMENTED = 2,      /* valid problem, but not on this backend/dtype */
  AB_ERR_OUT_OF_MEMORY = 3,
  AB_ERR_BACKEND = 4,            /* oneDNN / Vulkan call failed */
  AB_ERR_INCOMPATIBLE_ABI = 5,   /* no common ABI version */
  AB_ERR_INTERNAL = 6
} ab_status;

/* I32 (ABI >= 3) is a tensor dtype (indices, routing choices, positions),
 * never a problem's compute dtype. */
typedef enum ab_dtype { AB_DTYPE_F32 = 0, AB_DTYPE_BF16 = 1, AB_DTYPE_F16 = 2, AB_DTYPE_I32 = 3 } ab_dtype;

typedef enum ab_backend { AB_BACKEND_CPU = 0, AB_BACKEND_VULKAN = 1 } ab_backend;
#define AB_BACKEND_BIT(b) (1u << (b))
#define AB_DTYPE_BIT(d) (1u << (d))

typedef enum ab_param_type {
  AB_PARAM_INT = 0,   /* integer in [min, max] */
  AB_PARAM_FLOAT = 1, /* real in [min, max] */
  AB_PARAM_ENUM = 2   /* index into `choices` ("a|b|c") */
} ab_param_type;

/* Param flags. BARE enums print as their value alone ("prefill"), others as key+value.
 * DESIGN marks a choice of the design (kv_heads, mask, position scheme, ...)
 * rather than of the workload (tokens, heads, head_dim, ...): leaderboards rank
 * designs against each other at equal workloads. */
#define AB_PARAM_FLAG_BARE 1u
#define AB_PARAM_FLAG_DESIGN 2u
/* QUIET_DEFAULT: at its default value the parameter is left out of the problem's
 * strings (canonical, design, workload); the store keeps it without a token,
 * as it keeps the default seed. For a parameter
 * added to a variant whose problems are already on record (attention's gate):
 * their strings, the database's keys, stay exactly what they were. A host that
 * predates the flag prints it like any other parameter. */
#define AB_PARAM_FLAG_QUIET_DEFAULT 4u
/* Workload roles: which parameters say how much work one call does, so the
 * host can set a problem to a workload it did not write (a whole-model estimate:
 * prefill N tokens, or decode one token at context C, for B sequences) without
 * knowing any parameter's name. A host that predates them ignores them.
 *   MODE     an enum whose choices include "prefill" and "decode"
 *   BATCH    sequences processed together
 *   CONTEXT  prefill: the new tokens; decode: the tokens already held (cache or state)
 *   ROWS     token rows of one call, batch x new tokens (position-free kinds: ffn, norm, moe)
 * REDUCIBLE marks a count the host may divide (all REDUCIBLE parameters by the
 * same factor) to fit a problem into memory, measuring it at reduced width and
 * scaling the time by the problem's cost (flops, bytes): a mixture's experts, an
 * FFN's hidden width. */
#define AB_PARAM_FLAG_MODE 8u
#define AB_PARAM_FLAG_BATCH 16u
#define AB_PARAM_FLAG_CONTEXT 32u
#define AB_PARAM_FLAG_ROWS 64u
#define AB_PARAM_FLAG_REDUCIBLE 128u

/* One entry of a variant's parameter schema. `key` is the short token used in
 * canonical problem strings (e.g. "dm" for d_model); keys are unique per variant. */
typedef struct ab_param_spec {
  uint32_t struct_size;
  const char* name;        /* "d_model" */
  const char* key;         /* "dm" */
  ab_param_type type;
  double default_value;    /* enums: index of the default choice */
  double min_value;
  double max_value;
  const char* choices;     /* enums only: "prefill|decode" */
  const char* description;
  uint32_t flags;
} ab_param_spec;

/* A concrete problem: one value per schema entry (schema order) plus dtype. */
typedef struct ab_problem {
  uint32_t struct_size;
  ab_dtype dtype;
  const double* values;    /* enums hold their choice index */
  uint32_t value_count;
  uint64_t seed;
} ab_problem;

typedef enum ab_tensor_role {
  AB_TENSOR_INPUT = 0,     /* activations, filled by the host from the seed; the
                              host may rewrite them between executes (accuracy
                              tasks do), so never cache anything derived from
                              them in create */
  AB_TENSOR_WEIGHT = 1,    /* parameters, filled by the host; constant across runs */
  AB_TENSOR_OUTPUT = 2,    /* written by execute, checked against the reference */
  AB_TENSOR_STATE = 3      /* e.g. a KV cache: filled by the host, may be updated */
} ab_tensor_role;

/* How the host fills an INPUT/WEIGHT/STATE tensor from the problem's seed (ABI >= 3;
 * ABI 1 and 2 tensors are all UNIFORM). `a` and `b` are the desc's init_low and
 * init_high. Plugins name a policy; they never fill a tensor themselves. */
typedef enum ab_fill {
  AB_FILL_UNIFORM = 0,      /* uniform in [a, b] */
  AB_FILL_NORMAL = 1,       /* normal with mean a and standard deviation b */
  AB_FILL_CONSTANT = 2,     /* every element a */
  AB_FILL_LOG_UNIFORM = 3,  /* exp(uniform in [ln a, ln b]), 0 < a <= b: decays and rates in (0, 1) */
  AB_FILL_INTEGERS = 4,     /* integers uniform in [a, b] (int32 tensors, or whole numbers in floats) */
  AB_FILL_PERMUTATION = 5   /* each row (last dimension, n long) holds n distinct integers drawn
                               from [0, a); a = 0 means [0, n): a permutation */
} ab_fill;

/* How the host checks an OUTPUT against the reference (ABI >= 3; ABI 1 and 2
 * outputs are all NUMERIC). The tolerances are the host's: no policy loosens them. */
typedef enum ab_compare {
  AB_COMPARE_NUMERIC = 0,    /* NMSE over all numeric outputs at the host's tolerance for the dtype */
  AB_COMPARE_EXACT = 1,      /* every element equal to the reference (integers, masks) */
  AB_COMPARE_INDEX_SET = 2,  /* each row (last dimension) is a set of distinct indices compared
                                order-free with the reference's; with `scores` named, an index
                                whose score ties the reference's k-th best within the host's
                                tie tolerance may stand in for another (see README); -1 pads a
                                row that chooses fewer than k, as often as the reference's does,
                                and a score of -inf marks a choice that is not allowed */
  AB_COMPARE_UNCHECKED = 3   /* scratch: written by execute, not a result */
} ab_compare;

/* What the host must allocate for a problem. ABI 1 and 2 plugins see (and
 * write) only the fields up to init_high; they are the same in every version. */
typedef struct ab_tensor_desc {
  uint32_t struct_size;
  char name[32];
  ab_tensor_role role;
  ab_dtype dtype;
  uint32_t rank;
  int64_t dims[AB_MAX_RANK];   /* row-major, dims[rank-1] contiguous */
  double init_low;             /* the fill's a */
  double init_high;            /* the fill's b */
  /* ABI >= 3 */
  ab_fill fill;
  ab_compare compare;
  /* INDEX_SET outputs: the tensor whose rows the selection ranks (an INPUT, or an
   * OUTPUT with a reference); "" compares the sets exactly. */
  char scores[32];
} ab_tensor_desc;

#define AB_MAX_TENSORS 64      /* ABI 1 and 2: 16 */

/* Shapes and cost model of a problem, for allocation and roofline figures. */
typedef struct ab_problem_info {
  uint32_t struct_size;
  uint32_t tensor_count;
  ab_tensor_desc tensors[AB_MAX_TENSORS];
  double flops;                       /* useful floating-point ops of one execute */
  double bytes;                       /* minimal bytes moved (read + write) */
  double tokens;                      /* tokens processed by one execute */
  double kv_cache_bytes_per_token;    /* cache/state growth per token; 0 if none */
} ab_problem_info;

/* A bound tensor. `data` is host memory: the tensor itself on the CPU backend;
 * on Vulkan, the host's copy of the initial contents (readable in `create`,
 * e.g. to pre-pack weights), while the tensor the instance reads and writes
 * lives in device memory (ab_vulkan.tensor_buffer). Arrays of ab_tensor keep
 * this size in every ABI version, so never add fields here. */
typedef struct ab_tensor {
  uint32_t struct_size;
  const ab_tensor_desc* desc;
  void* data;
  uint64_t bytes;
} ab_tensor;

/* Vulkan capabilities a plugin may choose code paths by (ab_vulkan.features). */
#define AB_VK_STORAGE_16BIT 1u        /* storageBuffer16BitAccess */
#define AB_VK_FLOAT16 2u              /* shaderFloat16 arithmetic */
#define AB_VK_SUBGROUP_ARITHMETIC 4u  /* subgroupAdd/Max in compute */
#define AB_VK_SUBGROUP_SHUFFLE 8u
#define AB_VK_COOPERATIVE_MATRIX 16u  /* reserved: VK_KHR_cooperative_matrix enabled (not yet) */
#define AB_VK_SUBGROUP_SIZE_CONTROL 32u /* pipelines may require a subgroup size (full subgroups) */

/* The one Vulkan instance and device of the process (ABI >= 2), lent to
 * plugins: they create pipelines and buffers on it but never submit — the host
 * owns the queue and the clock (see ab_variant.record). Dispatchable handles
 * are pointers; non-dispatchable ones (VkPipelineCache) are uint64_t. */
typedef struct ab_vulkan {
  uint32_t struct_size;
  uint32_t api_version;              /* of the device */
  void* instance;                    /* VkInstance */
  void* physical_device;             /* VkPhysicalDevice */
  void* device;                      /* VkDevice */
  uint32_t queue_family;             /* the compute queue the host submits to */
  uint32_t subgroup_size;
  uint32_t features;                 /* AB_VK_* bits */
  uint32_t max_shared_memory;        /* maxComputeSharedMemorySize, bytes */
  uint64_t pipeline_cache;           /* VkPipelineCache, persisted by the host */
  void* get_instance_proc_addr;      /* PFN_vkGetInstanceProcAddr */
  void* context;
  /* The VkBuffer holding a bound tensor (one of the `tensors` given to create)
   * in device memory, and its byte offset in that buffer. The device copy
   * spans `bytes` rounded up to a multiple of 4, so a shader may bind and
   * access whole 32-bit words (bf16 pairs): it may write the padding of an
   * OUTPUT (never checked) and read, never write, that of any other tensor. */
  uint64_t (*tensor_buffer)(void* context, const ab_tensor* tensor, uint64_t* offset);
  /* Copies host bytes into a plugin-owned VkBuffer (through the host's staging
   * buffer and queue), complete when it returns: for packed weights and tables
   * made in `create`. */
  ab_status (*upload)(void* context, uint64_t buffer, uint64_t offset, const void* data,
                      uint64_t bytes);
  /* maxStorageBufferRange: the most bytes one storage binding may cover
   * (128 MiB on lavapipe); bigger tensors must be bound in slices. */
  uint64_t max_storage_range;
  /* The subgroup sizes a compute pipeline may require (AB_VK_SUBGROUP_SIZE_CONTROL);
   * both equal subgroup_size where the device cannot choose. */
  uint32_t min_subgroup_size;
  uint32_t max_subgroup_size;
} ab_vulkan;

/* Services the host lends to plugins. Plugins never create their own oneDNN
 * engine or Vulkan instance. Handles are C handles (dnnl_engine_t, ...). */
typedef struct ab_host {
  uint32_t struct_size;
  uint32_t abi_min;            /* oldest ABI the host speaks */
  uint32_t abi_max;            /* newest ABI the host speaks */
  void* context;
  void* (*cpu_engine)(void* context);   /* dnnl_engine_t */
  void* (*cpu_stream)(void* context);   /* dnnl_stream_t (in-order) */
  int32_t (*cpu_threads)(void* context);
  void (*log)(void* context, int32_t level, const char* message);
  /* ABI >= 2: the Vulkan device, or NULL where this process has none. */
  const ab_vulkan* vulkan;
} ab_host;

typedef struct ab_instance ab_instance; /* opaque, plugin-owned */

/* One variant (a design for one op kind). Functions get `context` back. */
typedef struct ab_variant {
  uint32_t struct_size;
  const char* name;             /* "ffn/swiglu" */
  const char* kind;             /* "ffn" */
  const char* description;
  const ab_param_spec* params;
  uint32_t param_count;
  uint32_t backends;            /* AB_BACKEND_BIT mask */
  uint32_t dtypes;              /* AB_DTYPE_BIT mask */
  void* context;
  /* Cross-field checks beyond each param's range; writes a reason on failure. */
  ab_status (*validate)(void* context, const ab_problem* problem, char* error, size_t error_size);
  ab_status (*describe)(void* context, const ab_problem* problem, ab_problem_info* info);
  /* Plain, double-accumulating reference. Reads the INPUT/WEIGHT/STATE tensors
   * (in the problem dtype) and writes every OUTPUT as doubles into `outputs`
   * (one array per OUTPUT tensor, in tensor order). */
  ab_status (*reference)(void* context, const ab_problem* problem, const ab_tensor* tensors,
                         uint32_t tensor_count, double* const* outputs);
  /* Build a backend instance bound to the host's tensors. May pre-pack weights.
   * AB_ERR_UNIMPLEMENTED is recorded as "unimplemented", not as a failure. */
  ab_status (*create)(void* context, const ab_problem* problem, ab_backend backend,
                      const ab_host* host, const ab_tensor* tensors, uint32_t tensor_count,
                      ab_instance** instance, char* error, size_t error_size);
  /* Compute the outputs; must be complete (synchronous) when it returns. */
  ab_status (*execute)(ab_instance* instance);
  void (*destroy)(ab_instance* instance);
  /* ABI >= 2, Vulkan instances: record the whole computation into the host's
   * command buffer (a VkCommandBuffer in the recording state). The host wraps
   * it in timestamp queries and submits it as often as it measures, so every
   * replay must compute the outputs from the inputs afresh. Vulkan instances'
   * `execute` is not called. */
  ab_status (*record)(ab_instance* instance, void* command_buffer);
  /* ABI >= 3. The contracts this variant implements, space-separated
   * "name/version" ("mixer.qkv/1"); NULL or "" for none. For each, the
   * variant's get_proc_address returns that contract's adapter table
   * (include/archbench/contracts/). */
  const char* contracts;
  /* Optional extras looked up by name (adapters, later additions): NULL when
   * the variant has none of that name. The table itself never grows again. */
  const void* (*get_proc_address)(void* context, const char* name);
} ab_variant;

typedef struct ab_plugin_info {
  uint32_t struct_size;
  uint32_t abi_version;         /* chosen by the plugin within the host's range */
  uint32_t abi_min;             /* the plugin's own range, for refusal messages */
  uint32_t abi_max;
  const char* name;
  const char* version;
  const ab_variant* const* variants;
  uint32_t variant_count;
} ab_plugin_info;

/* The one exported symbol. Returns AB_ERR_INCOMPATIBLE_ABI (with abi_min/max
 * filled) when the host's range does not overlap the plugin's. */
typedef ab_status (*ab_plugin_entry_fn)(const ab_host* host, ab_plugin_info* info);

#ifdef __cplusplus
}
#endif
#endif /* ARCHBENCH_PLUGIN_ABI_H */
