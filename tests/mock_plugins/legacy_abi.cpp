// Fixture: a plugin as ABI 1 or ABI 2 plugins were built (LEGACY_ABI = 1 or 2),
// written against the old layouts by hand: describe() fills the 16-tensor
// ab_problem_info_v2 and the variant table ends where that version's did. One
// variant, legacy/scale<ABI>: y = 2 x on the CPU. The host must still load and
// run it after ABI 3 changed those layouts.
#include <archbench/plugin_abi_v2.h>

#include <cstdlib>
#include <cstring>

#define STRINGIFY2(x) #x
#define STRINGIFY(x) STRINGIFY2(x)

namespace {

const ab_param_spec kParams[] = {
    {sizeof(ab_param_spec), "n", "n", AB_PARAM_INT, 1024, 1, 1 << 20, nullptr, "elements", 0}};

struct Instance {
  const float* x;
  float* y;
  int64_t n;
};

ab_status validate(void*, const ab_problem*, char*, size_t) { return AB_OK; }

ab_status describe(void*, const ab_problem* problem, ab_problem_info* raw) {
  auto* info = reinterpret_cast<ab_problem_info_v2*>(raw);  // the layout this plugin was built for
  const int64_t n = int64_t(problem->values[0]);
  *info = ab_problem_info_v2{};
  info->struct_size = sizeof *info;
  info->tensor_count = 2;
  const char* names[2] = {"x", "y"};
  for (int i = 0; i < 2; ++i) {
    ab_tensor_desc_v2& t = info->tensors[i];
    t.struct_size = sizeof t;
    std::strcpy(t.name, names[i]);
    t.role = i == 0 ? AB_TENSOR_INPUT : AB_TENSOR_OUTPUT;
    t.dtype = AB_DTYPE_F32;
    t.rank = 1;
    t.dims[0] = n;
    t.init_low = -3;
    t.init_high = 3;
  }
  info->flops = double(n);
  info->bytes = 8.0 * double(n);
  info->tokens = double(n);
  return AB_OK;
}

ab_status reference(void*, const ab_problem* problem, const ab_tensor* tensors, uint32_t, double* const* outputs) {
  const auto* x = static_cast<const float*>(tensors[0].data);
  for (int64_t i = 0; i < int64_t(problem->values[0]); ++i) outputs[0][i] = 2.0 * double(x[i]);
  return AB_OK;
}

ab_status create(void*, const ab_problem* problem, ab_backend backend, const ab_host*, const ab_tensor* tensors,
                 uint32_t, ab_instance** instance, char* error, size_t error_size) {
  if (backend != AB_BACKEND_CPU) {
    std::strncpy(error, "cpu only", error_size - 1);
    return AB_ERR_UNIMPLEMENTED;
  }
  auto* made = static_cast<Instance*>(std::malloc(sizeof(Instance)));
  made->x = static_cast<const float*>(tensors[0].data);
  made->y = static_cast<float*>(tensors[1].data);
  made->n = int64_t(problem->values[0]);
  *instance = reinterpret_cast<ab_instance*>(made);
  return AB_OK;
}

ab_status execute(ab_instance* instance) {
  auto* self = reinterpret_cast<Instance*>(instance);
  for (int64_t i = 0; i < self->n; ++i) self->y[i] = 2.0f * self->x[i];
  return AB_OK;
}

void destroy(ab_instance* instance) { std::free(instance); }

ab_variant make_table() {
  ab_variant v{};
#if LEGACY_ABI == 1
  v.struct_size = offsetof(ab_variant, record);
#else
  v.struct_size = AB_VARIANT_SIZE_V2;
#endif
  v.name = "legacy/scale" STRINGIFY(LEGACY_ABI);
  v.kind = "legacy";
  v.description = "an ABI " STRINGIFY(LEGACY_ABI) " plugin: y = 2 x";
  v.params = kParams;
  v.param_count = 1;
  v.backends = AB_BACKEND_BIT(AB_BACKEND_CPU);
  v.dtypes = AB_DTYPE_BIT(AB_DTYPE_F32);
  v.validate = &validate;
  v.describe = &describe;
  v.reference = &reference;
  v.create = &create;
  v.execute = &execute;
  v.destroy = &destroy;
  return v;
}

const ab_variant kVariant = make_table();
const ab_variant* const kVariants[] = {&kVariant};

}  // namespace

extern "C" __attribute__((visibility("default"))) ab_status archbench_plugin_entry(const ab_host* host,
                                                                                  ab_plugin_info* info) {
  info->abi_min = 1;
  info->abi_max = LEGACY_ABI;
  info->name = "legacy_abi" STRINGIFY(LEGACY_ABI);
  info->version = "1.0.0";
  if (host->abi_min > LEGACY_ABI) return AB_ERR_INCOMPATIBLE_ABI;
  info->abi_version = LEGACY_ABI;
  info->variants = kVariants;
  info->variant_count = 1;
  return AB_OK;
}
