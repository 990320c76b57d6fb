// `archbench plot TASK`: the accuracy tasks' pictures, drawn from the stored
// cells as standalone SVG (web/task_figures over results/svg_plot), in the form the task's registry
// entry asks for:
//   heatmap   context x coordinate (green = found, red = lost); needle: x depth
//   lines     accuracy vs context, one line per coordinate; multihop: per hop count
// The filters must pick exactly one group (design, backend, dtype, task,
// workload); otherwise the error lists the candidates to choose from.
#include "harness/cli/common.hpp"
#include "harness/errors.hpp"
#include "results/task_summary.hpp"
#include "tasks/task.hpp"
#include "web/task_figures.hpp"

#include <fstream>
#include <iostream>

namespace archbench::cli {

int plot_command(const Context& context) {
  Globals globals;
  results::TaskFilter filter;
  std::string output;
  int64_t run = 0;
  po::options_description options("archbench plot");
  options.add_options()
      ("task", po::value(&filter.kind)->required(), tasks::task_names().c_str())
      ("variant", po::value(&filter.variant), "variant or design (a glob, e.g. 'attention/gqa*' or 'attention/mha:alibi*')")
      ("backend", po::value(&filter.backend), "cpu | vulkan")
      ("dtype", po::value(&filter.dtype), "f32 | bf16")
      ("options", po::value(&filter.task), "task string glob, e.g. 'needle.single.low-freq*'")
      ("run", po::value(&run), "only this run id (default: the latest row of each context)")
      ("output,o", po::value(&output)->required(), "the SVG file to write");
  add_globals(options, globals, false);
  po::positional_options_description positional;
  positional.add("task", 1);
  po::variables_map values;
  if (!parse("plot", "archbench plot TASK [--variant GLOB] [--backend B] [--dtype D] [--options GLOB] [--run ID] -o FILE.svg [--db PATH]",
             context, options, values, &positional))
    return 0;
  const tasks::TaskEntry* entry = tasks::find_task(filter.kind);
  if (!entry) throw InputError("archbench plot: '" + filter.kind + "' is not one of " + tasks::task_names());
  if (values.count("run")) filter.run_id = run;
  const results::Store store = results::Store::open_readonly(database_path(globals));
  const std::vector<results::TaskSummary> groups = results::summarize_tasks(store, filter);
  if (groups.empty())
    throw InputError("archbench plot: no stored " + filter.kind + " results match (run `archbench run --suite " +
                     filter.kind + "` first, or loosen --variant/--backend/--dtype/--options)");
  if (groups.size() > 1) {
    std::string list;
    for (size_t i = 0; i < groups.size() && i < 4; ++i)
      list += std::string(i ? " | " : " ") + "--variant '" + groups[i].design + "' --backend " + groups[i].backend + " --dtype " +
              groups[i].dtype + " --options '" + groups[i].task + "'  (" + groups[i].workload + ")";
    throw InputError("archbench plot: " + std::to_string(groups.size()) + " " + filter.kind +
                     " result groups match; narrow it to one:" + list + (groups.size() > 4 ? " | ..." : ""));
  }
  const std::string svg = web::task_figure_svg(*entry, groups[0]);
  std::ofstream out(output, std::ios::binary | std::ios::trunc);
  if (!out || !(out << svg) || !out.flush()) throw InputError("-o: cannot write '" + output + "'");
  std::cout << "wrote " << output << " (" << groups[0].design << ", " << groups[0].backend << ", "
            << groups[0].dtype << ", " << groups[0].task << ")\n";
  return 0;
}

}  // namespace archbench::cli
