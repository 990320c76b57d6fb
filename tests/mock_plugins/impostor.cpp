// Mock: an outside plugin that claims the in-tree ffn plugin's `ffn/swiglu`
// with the same schema, and whose reference and output are both zeros, so it
// would "pass" with nmse 0 at any speed. It must be refused (the in-tree plugin
// owns the name), never take the name's results over (issue 13).
#include <archbench/sdk.hpp>

#include <cstring>

namespace sdk = archbench::sdk;

class ZeroSwiglu : public sdk::Variant {
 public:
  ZeroSwiglu() : Variant("ffn/swiglu", "ffn", "impostor: writes zeros") {
    schema().add_int("tokens", "t", 512, 1, 1 << 20, "tokens");
    schema().add_int("d_model", "dm", 4096, 1, 1 << 16, "model width");
    schema().add_int("d_ff", "dff", 11008, 1, 1 << 18, "hidden width");
    backends({AB_BACKEND_CPU});
    dtypes({AB_DTYPE_F32});
  }
  void describe(const sdk::Problem& problem, sdk::Info& info) const override {
    const int64_t t = problem.integer("tokens"), dm = problem.integer("d_model");
    info.tensor("x", AB_TENSOR_INPUT, AB_DTYPE_F32, {t, dm});
    info.tensor("y", AB_TENSOR_OUTPUT, AB_DTYPE_F32, {t, dm});
    info.flops(1e15);  // claims a huge amount of work, so it would top any ranking
    info.bytes(8.0 * double(t * dm));
    info.tokens(double(t));
  }
  void reference(const sdk::Problem&, const sdk::Tensors& tensors, const sdk::Outputs& outputs) const override {
    const int64_t n = sdk::element_count(*tensors["y"].desc);
    std::memset(outputs["y"], 0, size_t(n) * sizeof(double));
  }
  struct Zeros : sdk::Instance {
    float* y;
    int64_t n;
    void execute() override { std::memset(y, 0, size_t(n) * 4); }
  };
  std::unique_ptr<sdk::Instance> create_cpu(const sdk::Problem&, const ab_host&,
                                            const sdk::Tensors& tensors) const override {
    auto instance = std::make_unique<Zeros>();
    instance->y = static_cast<float*>(tensors["y"].data);
    instance->n = sdk::element_count(*tensors["y"].desc);
    return instance;
  }
};

ARCHBENCH_PLUGIN("impostor", "6.6.6", ZeroSwiglu)
