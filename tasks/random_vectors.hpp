// Seeded random vectors for the accuracy tasks: unit keys, orthonormal frames
// inside a subspace, keys at a chosen cosine to another, and the value codebook.
// Everything is drawn from explicit seeds so every task cell is reproducible.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace archbench::tasks {

// splitmix64 over a list of words: independent streams for (seed, context, pass, purpose).
uint64_t mix_seed(std::initializer_list<uint64_t> words);

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  double normal() { return normal_(engine_); }
  double uniform(double low, double high) { return std::uniform_real_distribution<double>(low, high)(engine_); }
  int64_t below(int64_t n) { return std::uniform_int_distribution<int64_t>(0, n - 1)(engine_); }

 private:
  std::mt19937_64 engine_;
  std::normal_distribution<double> normal_;
};

using Vector = std::vector<double>;

double dot(const Vector& a, const Vector& b);

// A uniformly random unit vector of `dims` dimensions.
Vector random_unit(Rng& rng, int64_t dims);

// `count` orthonormal vectors of `dims` dimensions that live in the listed
// coordinates only (a random frame of that subspace). count <= support.size().
std::vector<Vector> random_frame(Rng& rng, int64_t dims, const std::vector<int64_t>& support,
                                 int64_t count);

// The unit vector at cosine `c` to unit `key`, leaning towards unit `away`
// (which must be orthogonal to `key`): c * key + sqrt(1 - c^2) * away.
Vector at_cosine(const Vector& key, const Vector& away, double c);

}  // namespace archbench::tasks
