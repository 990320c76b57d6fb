// ResultRecord <-> JSON, the message a problem's child process sends back.
#pragma once

#include "results/store.hpp"

#include <string>

namespace archbench {

std::string record_to_json(const results::ResultRecord& record);
results::ResultRecord record_from_json(const std::string& text);

}  // namespace archbench
