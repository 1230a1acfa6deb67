# Warnings every target of ours gets; CI adds -Werror through WALNUT_WERROR.
add_library(walnut_warnings INTERFACE)
target_compile_options(walnut_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                       -Wold-style-cast -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
if(WALNUT_WERROR)
  target_compile_options(walnut_warnings INTERFACE -Werror)
endif()
# g++ 12 at -O3 (Release) reports impossible overlaps in inlined `"literal" + std::string`
# (GCC bug 105329, fixed in 13); it flagged six such expressions, none a real overlap.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(walnut_warnings INTERFACE -Wno-restrict)
endif()

if(WALNUT_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

if(WALNUT_BUILD_FUZZ)
  # Coverage instrumentation for the library code the fuzz targets drive. Undefined behaviour stops
  # the program, so a fuzzer (or a unit test built here: tools/run-fuzzers.sh --unit-tests) that
  # meets it fails instead of printing a report and going on.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
