# archbench_add_plugin(<name> SOURCES ... [LIBS ...] [VULKAN_SOURCES ...])
# Builds plugins/<name> into build/bin/plugins/<name>/libarchbench_<name>.so and
# copies its plugin.json manifest beside it, so the host finds both together,
# and its suite.toml (optional: entries the `quick` suite takes) the same way.
# VULKAN_SOURCES join the build where the Vulkan backend is built (then the
# plugin links the loader and sees ARCHBENCH_PLUGIN_VULKAN, which the SDK's
# Variant::cpu_and_vulkan_if_built() reads); elsewhere they are left out.
function(archbench_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;VULKAN_SOURCES" ${ARGN})
  set(target archbench_plugin_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME archbench_${name}
    LIBRARY_OUTPUT_DIRECTORY ${ARCHBENCH_PLUGIN_OUT}/${name})
  target_link_libraries(${target} PRIVATE archbench_sdk ${ARG_LIBS})
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(ARCHBENCH_HAVE_VULKAN AND ARG_VULKAN_SOURCES)
    target_sources(${target} PRIVATE ${ARG_VULKAN_SOURCES})
    target_link_libraries(${target} PRIVATE Vulkan::Vulkan)
    target_compile_definitions(${target} PRIVATE ARCHBENCH_PLUGIN_VULKAN=1)
  endif()
  configure_file(${CMAKE_CURRENT_SOURCE_DIR}/plugin.json
                 ${ARCHBENCH_PLUGIN_OUT}/${name}/plugin.json COPYONLY)
  # CONFIGURE_DEPENDS: the build re-checks the glob, so adding or deleting a
  # suite.toml takes effect at the next build without a manual re-configure.
  file(GLOB fragment CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/suite.toml)
  if(fragment)
    configure_file(${fragment} ${ARCHBENCH_PLUGIN_OUT}/${name}/suite.toml COPYONLY)
  else()  # a fragment deleted from the source must not linger in the build
    file(REMOVE ${ARCHBENCH_PLUGIN_OUT}/${name}/suite.toml)
  endif()
endfunction()
