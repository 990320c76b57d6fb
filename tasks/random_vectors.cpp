// Seeded random vectors (see random_vectors.hpp).
#include "tasks/random_vectors.hpp"

#include <cmath>

namespace archbench::tasks {

uint64_t mix_seed(std::initializer_list<uint64_t> words) {
  uint64_t state = 0x9E3779B97F4A7C15ull;
  for (uint64_t w : words) {
    state ^= w + 0x9E3779B97F4A7C15ull + (state << 6) + (state >> 2);
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    state = z ^ (z >> 31);
  }
  return state;
}

double dot(const Vector& a, const Vector& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

namespace {
void normalize(Vector& v) {
  const double norm = std::sqrt(dot(v, v));
  for (double& x : v) x /= norm;
}
}  // namespace

Vector random_unit(Rng& rng, int64_t dims) {
  Vector v(static_cast<size_t>(dims));
  for (double& x : v) x = rng.normal();
  normalize(v);
  return v;
}

std::vector<Vector> random_frame(Rng& rng, int64_t dims, const std::vector<int64_t>& support,
                                 int64_t count) {
  // Gram-Schmidt (twice, for f64-level orthogonality) over Gaussian vectors:
  // the result is a uniformly random orthonormal frame of the subspace.
  std::vector<Vector> frame;
  while (int64_t(frame.size()) < count) {
    Vector v(size_t(dims), 0.0);
    for (int64_t d : support) v[size_t(d)] = rng.normal();
    for (int pass = 0; pass < 2; ++pass)
      for (const Vector& f : frame) {
        const double c = dot(v, f);
        for (size_t i = 0; i < v.size(); ++i) v[i] -= c * f[i];
      }
    if (dot(v, v) < 1e-12) continue;  // numerically dependent draw: draw again
    normalize(v);
    frame.push_back(std::move(v));
  }
  return frame;
}

Vector at_cosine(const Vector& key, const Vector& away, double c) {
  Vector v(key.size());
  const double s = std::sqrt(1.0 - c * c);
  for (size_t i = 0; i < v.size(); ++i) v[i] = c * key[i] + s * away[i];
  return v;
}

}  // namespace archbench::tasks
