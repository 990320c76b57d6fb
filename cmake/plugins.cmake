# archbench_add_plugin(<name> SOURCES ... [LIBS ...] [VULKAN_SOURCES ...] [SHADERS ...])
# Builds a plugin into ${ARCHBENCH_PLUGIN_OUT}/<name>/libarchbench_<name>.so and
# copies its plugin.json manifest (and suite.toml fragment, if any) beside it,
# so the host finds them together. The same function serves in-tree plugins and
# out-of-tree ones built against the installed package (find_package(archbench)).
# VULKAN_SOURCES and SHADERS join the build where Vulkan is available (then the
# plugin links the loader and sees ARCHBENCH_PLUGIN_VULKAN, which the SDK's
# Variant::cpu_and_vulkan_if_built() and its create_vulkan hook read); elsewhere
# they are left out. Each SHADERS file compiles to SPIR-V named after the file
# (shaders/dyt.comp -> #include "spirv/dyt.hpp", ARCHBENCH_SPIRV(dyt)); for
# several builds of one source use archbench_add_shader with DEFINES.
function(archbench_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;VULKAN_SOURCES;SHADERS" ${ARGN})
  set(target archbench_plugin_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME archbench_${name}
    LIBRARY_OUTPUT_DIRECTORY ${ARCHBENCH_PLUGIN_OUT}/${name}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_compile_features(${target} PRIVATE cxx_std_20)
  target_link_libraries(${target} PRIVATE archbench::sdk ${ARG_LIBS})
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(ARCHBENCH_HAVE_VULKAN AND (ARG_VULKAN_SOURCES OR ARG_SHADERS))
    target_sources(${target} PRIVATE ${ARG_VULKAN_SOURCES})
    target_link_libraries(${target} PRIVATE Vulkan::Vulkan)
    target_compile_definitions(${target} PRIVATE ARCHBENCH_PLUGIN_VULKAN=1)
    foreach(shader ${ARG_SHADERS})
      get_filename_component(shader_name ${shader} NAME_WE)
      archbench_add_shader(${target} ${shader_name} ${shader})
    endforeach()
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
