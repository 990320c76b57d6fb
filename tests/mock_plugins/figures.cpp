// Mock: y = x variants reporting per-result figures (extra "figures/1"), well
// and badly, to show what the host stores and what it refuses:
//   mock/figures         two figures, one computed from the inputs (sum of x)
//   mock/figures-name    a name outside [a-z0-9_]
//   mock/figures-nan     a NaN value
//   mock/figures-twice   the same name twice
//   mock/figures-throws  figures() throws
#include "mock_variant.hpp"

#include <cmath>
#include <numeric>
#include <stdexcept>

namespace {

namespace sdk = archbench::sdk;

enum class Fault { none, name, nan, twice, throws };

class Reporting : public mock::CopyVariant {
 public:
  Reporting(const char* name, Fault fault) : CopyVariant(name), fault_(fault) { provides_figures(); }
  void figures(const sdk::Problem& problem, const sdk::Tensors& tensors, sdk::Figures& out) const override {
    if (fault_ == Fault::throws) throw std::runtime_error("no figures today");
    const std::vector<double> x = tensors.as_doubles("x");
    out.add("elements", double(problem.integer("n")));
    out.add(fault_ == Fault::name ? "Sum Of X" : "sum_of_x", std::accumulate(x.begin(), x.end(), 0.0));
    if (fault_ == Fault::nan) out.add("ratio", std::nan(""));
    if (fault_ == Fault::twice) out.add("elements", 1.0);
  }

 private:
  Fault fault_;
};

struct Good : Reporting { Good() : Reporting("mock/figures", Fault::none) {} };
struct BadName : Reporting { BadName() : Reporting("mock/figures-name", Fault::name) {} };
struct Nan : Reporting { Nan() : Reporting("mock/figures-nan", Fault::nan) {} };
struct Twice : Reporting { Twice() : Reporting("mock/figures-twice", Fault::twice) {} };
struct Throws : Reporting { Throws() : Reporting("mock/figures-throws", Fault::throws) {} };

}  // namespace

ARCHBENCH_PLUGIN("figures", "0.1.0", Good, BadName, Nan, Twice, Throws)
