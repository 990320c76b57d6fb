/* Mock, in plain C against the ABI header alone: describe() answers
 * tensor_count = 1000, past AB_MAX_TENSORS (64). The host must fail that problem
 * with a one-line reason, reading no tensor past the 64 it allocated room for
 * (issue 13). */
#include <archbench/plugin_abi.h>

#include <string.h>

static const ab_param_spec params[] = {
    {sizeof(ab_param_spec), "n", "n", AB_PARAM_INT, 16, 1, 1024, NULL, "elements", 0},
};

static ab_status describe(void* context, const ab_problem* problem, ab_problem_info* info) {
  (void)context;
  (void)problem;
  info->tensor_count = 1000; /* the lie: there is room for 64 */
  for (int i = 0; i < 2; ++i) {
    ab_tensor_desc* d = &info->tensors[i];
    memset(d, 0, sizeof *d);
    d->struct_size = sizeof *d;
    strcpy(d->name, i == 0 ? "x" : "y");
    d->role = i == 0 ? AB_TENSOR_INPUT : AB_TENSOR_OUTPUT;
    d->dtype = AB_DTYPE_F32;
    d->rank = 1;
    d->dims[0] = 16;
    d->init_low = -1;
    d->init_high = 1;
  }
  info->bytes = 128;
  return AB_OK;
}

static ab_status reference(void* context, const ab_problem* problem, const ab_tensor* tensors, uint32_t count,
                           double* const* outputs) {
  (void)context, (void)problem, (void)tensors, (void)count, (void)outputs;
  return AB_ERR_INTERNAL;
}

static ab_status create(void* context, const ab_problem* problem, ab_backend backend, const ab_host* host,
                        const ab_tensor* tensors, uint32_t count, ab_instance** instance, char* error,
                        size_t error_size) {
  (void)context, (void)problem, (void)backend, (void)host, (void)tensors, (void)count, (void)instance;
  if (error && error_size) error[0] = '\0';
  return AB_ERR_INTERNAL;
}

static ab_status execute(ab_instance* instance) {
  (void)instance;
  return AB_ERR_INTERNAL;
}

static void destroy(ab_instance* instance) { (void)instance; }

static ab_variant variant = {
    sizeof(ab_variant), "mock/many-tensors", "mock", "describe() claims 1000 tensors",
    params, 1, AB_BACKEND_BIT(AB_BACKEND_CPU), AB_DTYPE_BIT(AB_DTYPE_F32), NULL,
    NULL, describe, reference, create, execute, destroy, NULL, NULL, NULL,
};
static const ab_variant* const variants[] = {&variant};

__attribute__((visibility("default"))) ab_status archbench_plugin_entry(const ab_host* host, ab_plugin_info* info) {
  info->abi_min = 3;
  info->abi_max = 3;
  info->name = "many_tensors";
  info->version = "0.0.1";
  if (host->abi_max < 3) return AB_ERR_INCOMPATIBLE_ABI;
  info->abi_version = 3;
  info->variants = variants;
  info->variant_count = 1;
  return AB_OK;
}
