// Run ids through Boost.Uuid (header-only: no new dependency). See run_uid.hpp.
#include "results/run_uid.hpp"

#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/string_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

namespace archbench::results {

std::string new_run_uid() {
  boost::uuids::random_generator generate;  // seeded from the OS's entropy
  return boost::uuids::to_string(generate());
}

std::string legacy_run_uid(const std::string& identity) {
  // A namespace of archbench's own, so these ids cannot collide with another
  // program's name-based UUIDs of the same text. Never change it: ids already
  // merged elsewhere depend on it.
  static const boost::uuids::uuid kNamespace =
      boost::uuids::string_generator()("6a1c6f0e-3c59-4a8e-9d0b-5e1f2a7b8c94");
  boost::uuids::name_generator_sha1 generate(kNamespace);
  return boost::uuids::to_string(generate(identity));
}

}  // namespace archbench::results
