# Writes src/cli/version.cc.in to OUTPUT with the git revision being built and that revision's
# commit date. Run at every build (cmake -P) so that `walnut --version` names the sources it was
# built from, not those CMake last configured; the file is rewritten only when it changes, so an
# unchanged revision rebuilds nothing.
# Inputs: SOURCE_DIR, TEMPLATE, OUTPUT, PROJECT_VERSION.
execute_process(COMMAND git rev-parse --short HEAD WORKING_DIRECTORY "${SOURCE_DIR}"
                OUTPUT_VARIABLE WALNUT_GIT_REVISION OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(COMMAND git log -1 --format=%cd --date=format-local:%Y.%m.%d_%H:%M:%S
                WORKING_DIRECTORY "${SOURCE_DIR}"
                OUTPUT_VARIABLE WALNUT_BUILD_DATE OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT WALNUT_GIT_REVISION)
  set(WALNUT_GIT_REVISION "unknown")
endif()
if(NOT WALNUT_BUILD_DATE)
  string(TIMESTAMP WALNUT_BUILD_DATE "%Y.%m.%d_%H:%M:%S" UTC)
endif()
configure_file("${TEMPLATE}" "${OUTPUT}.new" @ONLY)
file(COPY_FILE "${OUTPUT}.new" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.new")
