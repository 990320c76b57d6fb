// The task registry (see task.hpp). Each task's file defines its entry; this
// list names them once. It is a list rather than self-registering statics
// because archbench_tasks is a static library: the linker drops an object file
// nothing refers to, and its registration with it. A new task is one file and
// one line here.
#include "tasks/task.hpp"
#include "tasks/task_text.hpp"

namespace archbench::tasks {

const TaskEntry& needle_entry();    // needle_task.cpp
const TaskEntry& multihop_entry();  // multihop_task.cpp
const TaskEntry& recall_entry();    // recall_task.cpp

const std::vector<const TaskEntry*>& task_entries() {
  static const std::vector<const TaskEntry*> entries = {&needle_entry(), &multihop_entry(), &recall_entry()};
  return entries;
}

const TaskEntry* find_task(const std::string& name) {
  for (const TaskEntry* entry : task_entries())
    if (entry->name == name) return entry;
  return nullptr;
}

std::string task_names() {
  std::vector<std::string> names;
  for (const TaskEntry* entry : task_entries()) names.push_back(entry->name);
  return or_list(names);
}

std::string headline_kind() {
  for (const TaskEntry* entry : task_entries())
    if (entry->headline_rows) return entry->name;
  return "";
}

TaskPtr parse_task(const std::string& text) {
  const std::string first = text.substr(0, text.find('.'));
  const TaskEntry* entry = find_task(first);
  if (!entry) throw std::invalid_argument("task '" + text + "': expected it to start with " + task_names());
  return entry->parse(text);
}

}  // namespace archbench::tasks
