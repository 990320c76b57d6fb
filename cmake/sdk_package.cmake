# `cmake --install` ships the plugin SDK as a CMake package: the headers (C ABI,
# contracts, C++ SDK, shader includes), archbench::sdk, and the functions that
# build a plugin (archbench_add_plugin, archbench_add_shader). An outside
# author then writes
#   find_package(archbench REQUIRED)
#   archbench_add_plugin(dyt SOURCES plugin.cpp LIBS DNNL::dnnl SHADERS shaders/dyt.comp ...)
# and points `archbench run --plugin-dir` at the build's plugins/ folder.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(ARCHBENCH_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/archbench)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/archbench DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS archbench_sdk EXPORT archbench_sdk_targets)
install(EXPORT archbench_sdk_targets NAMESPACE archbench:: FILE archbenchTargets.cmake
        DESTINATION ${ARCHBENCH_PACKAGE_DIR})
set_target_properties(archbench_sdk PROPERTIES EXPORT_NAME sdk)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/archbenchConfig.cmake.in
  ${PROJECT_BINARY_DIR}/archbenchConfig.cmake INSTALL_DESTINATION ${ARCHBENCH_PACKAGE_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/archbenchConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/archbenchConfig.cmake ${PROJECT_BINARY_DIR}/archbenchConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/plugins.cmake ${PROJECT_SOURCE_DIR}/cmake/shaders.cmake
              ${PROJECT_SOURCE_DIR}/cmake/dnnl.cmake
        DESTINATION ${ARCHBENCH_PACKAGE_DIR})
