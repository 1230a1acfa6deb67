# Warnings every target of ours gets; CI adds -Werror through WALNUT_WERROR.
add_library(walnut_warnings INTERFACE)
target_compile_options(walnut_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                       -Wold-style-cast -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
if(WALNUT_WERROR)
  target_compile_options(walnut_warnings INTERFACE -Werror)
endif()

if(WALNUT_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

if(WALNUT_BUILD_FUZZ)
  # Coverage instrumentation for the library code the fuzz targets drive.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
