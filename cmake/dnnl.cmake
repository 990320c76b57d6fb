# DNNL::dnnl, the oneDNN CPU library, for the host and for plugins (installed
# with the SDK package). Debian's dnnl-config.cmake insists on OpenCL (its GPU
# runtime) even for CPU use, so locate the library and headers directly.
if(NOT TARGET DNNL::dnnl)
  find_path(DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp REQUIRED)
  find_library(DNNL_LIBRARY NAMES dnnl REQUIRED)
  add_library(DNNL::dnnl UNKNOWN IMPORTED)
  set_target_properties(DNNL::dnnl PROPERTIES
    IMPORTED_LOCATION ${DNNL_LIBRARY} INTERFACE_INCLUDE_DIRECTORIES ${DNNL_INCLUDE_DIR})
endif()
