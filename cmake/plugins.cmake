# archbench_add_plugin(<name> SOURCES ... [LIBS ...])
# Builds plugins/<name> into build/bin/plugins/<name>/libarchbench_<name>.so and
# copies its plugin.json manifest beside it, so the host finds both together.
function(archbench_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  set(target archbench_plugin_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME archbench_${name}
    LIBRARY_OUTPUT_DIRECTORY ${ARCHBENCH_PLUGIN_OUT}/${name})
  target_link_libraries(${target} PRIVATE archbench_sdk ${ARG_LIBS})
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  configure_file(${CMAKE_CURRENT_SOURCE_DIR}/plugin.json
                 ${ARCHBENCH_PLUGIN_OUT}/${name}/plugin.json COPYONLY)
endfunction()
