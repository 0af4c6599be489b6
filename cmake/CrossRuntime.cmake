# libslimrt for other targets (--target=TRIPLE): one static library per triple listed in
# SLIMC_CROSS_TARGETS, built with that triple's C compiler (Debian's gcc-TRIPLE, e.g.
# gcc-aarch64-linux-gnu; scripts/bootstrap installs it) into build/targets/TRIPLE/, where
# slimc looks for it (and PREFIX/lib/slimc/targets/TRIPLE/ once installed). The same
# sources as the host's runtime: on a target other than x86-64 the kernels take their
# portable C paths (runtime/src/kernels_common.h). No sanitizers: these run under qemu.
function(slimc_cross_runtime triple)
  set(cc ${triple}-gcc)
  find_program(SLIMC_CC_${triple} ${cc})
  find_program(SLIMC_AR_${triple} ${triple}-ar)
  if(NOT SLIMC_CC_${triple} OR NOT SLIMC_AR_${triple})
    message(STATUS "cross runtime ${triple}: ${cc} not found, not built "
      "(install gcc-${triple}; slimc --target=${triple} then stops at the object file)")
    return()
  endif()
  set(dir ${CMAKE_BINARY_DIR}/targets/${triple})
  # stb_image without the host's other headers on the cross compiler's include path
  set(stbdir ${CMAKE_BINARY_DIR}/targets/stb-include)
  file(MAKE_DIRECTORY ${stbdir} ${dir}/obj)
  file(CREATE_LINK ${STB_INCLUDE_DIR}/stb ${stbdir}/stb SYMBOLIC)
  set(objs)
  foreach(src ${SLIMRT_SOURCES})
    get_filename_component(base ${src} NAME_WE)
    set(obj ${dir}/obj/${base}.o)
    add_custom_command(OUTPUT ${obj}
      COMMAND ${SLIMC_CC_${triple}} -std=gnu11 -O3 -fPIC -DNDEBUG
        -I${CMAKE_SOURCE_DIR}/runtime/include -isystem ${stbdir}
        -MD -MF ${obj}.d -c ${src} -o ${obj}
      DEPENDS ${src} DEPFILE ${obj}.d
      COMMENT "libslimrt for ${triple}: ${base}.c" VERBATIM)
    list(APPEND objs ${obj})
  endforeach()
  add_custom_command(OUTPUT ${dir}/libslimrt.a
    COMMAND ${CMAKE_COMMAND} -E rm -f ${dir}/libslimrt.a
    COMMAND ${SLIMC_AR_${triple}} rcs ${dir}/libslimrt.a ${objs}
    DEPENDS ${objs} COMMENT "libslimrt.a for ${triple}" VERBATIM)
  add_custom_target(slimrt_${triple} ALL DEPENDS ${dir}/libslimrt.a)
  install(FILES ${dir}/libslimrt.a DESTINATION lib/slimc/targets/${triple})
endfunction()
