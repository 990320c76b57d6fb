// A minimal SDK variant for mock plugins: y = x over n elements, with a hook
// each mock overrides to misbehave in one specific way.
#pragma once

#include <archbench/sdk.hpp>

#include <cstring>

namespace mock {

namespace sdk = archbench::sdk;

class CopyVariant : public sdk::Variant {
 public:
  explicit CopyVariant(const char* name, const char* kind = "mock")
      : Variant(name, kind, "mock: y = x") {
    schema().add_int("n", "n", 1024, 1, 1 << 24, "elements");
    backends({AB_BACKEND_CPU});
    dtypes({AB_DTYPE_F32});
  }
  void describe(const sdk::Problem& problem, sdk::Info& info) const override {
    const int64_t n = problem.integer("n");
    info.tensor("x", AB_TENSOR_INPUT, AB_DTYPE_F32, {n});
    info.tensor("y", AB_TENSOR_OUTPUT, AB_DTYPE_F32, {n});
    info.bytes(8.0 * double(n));
    info.tokens(double(n));
  }
  void reference(const sdk::Problem& problem, const sdk::Tensors& tensors,
                 const sdk::Outputs& outputs) const override {
    const auto x = tensors.as_doubles("x");
    std::copy(x.begin(), x.end(), outputs["y"]);
    (void)problem;
  }

  struct Copy : sdk::Instance {
    const CopyVariant* owner;
    float* x;
    float* y;
    int64_t n;
    int calls = 0;
    void execute() override { owner->run(*this); }
  };
  std::unique_ptr<sdk::Instance> create(const sdk::Problem& problem, ab_backend, const ab_host&,
                                        const sdk::Tensors& tensors) const override {
    prepare(problem);
    auto instance = std::make_unique<Copy>();
    instance->owner = this;
    instance->x = static_cast<float*>(tensors["x"].data);
    instance->y = static_cast<float*>(tensors["y"].data);
    instance->n = problem.integer("n");
    return instance;
  }
  virtual void prepare(const sdk::Problem&) const {}
  virtual void run(Copy& c) const { std::memcpy(c.y, c.x, size_t(c.n) * 4); }
};

}  // namespace mock
