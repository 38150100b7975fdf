# Warnings, sanitizers and ccache for every mexa target (call mexa_target_defaults()).

find_program(MEXA_CCACHE ccache)
if(MEXA_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_C_COMPILER_LAUNCHER ${MEXA_CCACHE})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${MEXA_CCACHE})
endif()

if(MEXA_SANITIZE)
  string(REPLACE "," ";" _mexa_sanitizers "${MEXA_SANITIZE}")
  foreach(_s IN LISTS _mexa_sanitizers)
    if(NOT _s MATCHES "^(address|undefined)$")
      message(FATAL_ERROR "MEXA_SANITIZE: unknown sanitizer '${_s}' (use address, undefined)")
    endif()
  endforeach()
  # Every finding stops the process, so a test with one fails (UBSan only
  # prints and continues by default).
  add_compile_options(-fsanitize=${MEXA_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${MEXA_SANITIZE} -fno-sanitize-recover=all)
endif()

function(mexa_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(MEXA_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
