// This machine's calibrated peaks, kept outside any one database: `calibrate`
// writes them to a per-machine file (keyed by host and CPU model) in the user's
// cache folder, every run reads them from there whichever database it writes, and
// copies them into its own runs row (runs.calibration_json), so old results keep
// the peak they were measured against after a recalibration.
//
// Folder: $ARCHBENCH_CACHE_DIR, else $XDG_CACHE_HOME/archbench, else
// $HOME/.cache/archbench. Tests point ARCHBENCH_CACHE_DIR at their build folder so
// they never touch the real user's cache.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace archbench {

class Registry;
namespace results { class Store; }

// "backend/metric" -> value, e.g. "cpu/matmul_f32_gflops" -> 95.2.
using Calibrations = std::map<std::string, double>;

// The file of this host and CPU model ("" when no folder can be named: no HOME).
std::string machine_calibration_path();

// What the file holds; empty when there is none (or it cannot be read).
Calibrations load_machine_calibration();

// Merges `measured` into the file (created with its folder), written whole to a
// temporary file and renamed, so a reader never sees half of it. Returns the path;
// throws std::runtime_error naming it when it cannot be written.
std::string save_machine_calibration(const Calibrations& measured);

// What a new run is measured against: the machine's file, else what `store`
// holds for this host (databases calibrated before the file existed).
Calibrations calibration_for_run(const results::Store& store);

// As JSON text {"cpu/matmul_f32_gflops": 95.2, ...}, and back ({} / empty on junk).
std::string calibrations_json(const Calibrations& calibrations);
Calibrations parse_calibrations(const std::string& json);

}  // namespace archbench
