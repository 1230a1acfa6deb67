# What `cmake --install` and the Debian package (`cpack -G DEB` in the build directory) hold
# besides the binary and its wal-g name (src/CMakeLists.txt): man pages and shell completion
# generated from the built binary, the systemd units, the dashboard and alert rules.
# tools/package-test.sh builds the package, runs lintian on it and runs it from a scratch root.

find_program(WALNUT_HELP2MAN help2man)
set(gen "${PROJECT_BINARY_DIR}/generated-files")

# Man pages from `walnut --help` and every command's --help (tools/make-man.sh, help2man).
if(WALNUT_HELP2MAN)
  add_custom_command(
    OUTPUT "${gen}/man/walnut.1.gz" "${gen}/man/wal-g.1.gz"
    COMMAND ${PROJECT_SOURCE_DIR}/tools/make-man.sh $<TARGET_FILE:walnut> "${gen}/man" ${PROJECT_VERSION}
    DEPENDS walnut ${PROJECT_SOURCE_DIR}/tools/make-man.sh
    COMMENT "Man pages from walnut --help" VERBATIM)
  add_custom_target(walnut_man ALL DEPENDS "${gen}/man/walnut.1.gz")
  install(FILES "${gen}/man/walnut.1.gz" "${gen}/man/wal-g.1.gz" DESTINATION share/man/man1)
else()
  message(STATUS "help2man not found: no man pages (apt-get install help2man)")
endif()

# Shell completion from `walnut completion bash|zsh`; bash-completion loads a file per command
# name, so wal-g gets a link.
add_custom_command(
  OUTPUT "${gen}/completion/walnut" "${gen}/completion/_walnut" "${gen}/completion/wal-g"
  COMMAND ${CMAKE_COMMAND} -E make_directory "${gen}/completion"
  COMMAND sh -c "env -i PATH=/usr/bin:/bin HOME=/nonexistent \"$1\" completion bash > \"$2/walnut\"" sh
          $<TARGET_FILE:walnut> "${gen}/completion"
  COMMAND sh -c "env -i PATH=/usr/bin:/bin HOME=/nonexistent \"$1\" completion zsh > \"$2/_walnut\"" sh
          $<TARGET_FILE:walnut> "${gen}/completion"
  COMMAND ${CMAKE_COMMAND} -E create_symlink walnut "${gen}/completion/wal-g"
  DEPENDS walnut COMMENT "Shell completion from walnut completion" VERBATIM)
add_custom_target(walnut_completion ALL DEPENDS "${gen}/completion/walnut")
install(FILES "${gen}/completion/walnut" "${gen}/completion/wal-g"
        DESTINATION share/bash-completion/completions)
install(FILES "${gen}/completion/_walnut" DESTINATION share/zsh/vendor-completions)

# The systemd units (installed, not enabled) and what deploy/ holds for Prometheus and Grafana.
file(GLOB walnut_units "${PROJECT_SOURCE_DIR}/deploy/systemd/*.service"
     "${PROJECT_SOURCE_DIR}/deploy/systemd/*.timer")
install(FILES ${walnut_units} DESTINATION /lib/systemd/system)
install(FILES "${PROJECT_SOURCE_DIR}/deploy/systemd/walnut.env.example" DESTINATION share/walnut)
install(FILES "${PROJECT_SOURCE_DIR}/deploy/metrics.txt" DESTINATION share/walnut)
install(FILES "${PROJECT_SOURCE_DIR}/deploy/prometheus/walnut-alerts.yml"
              "${PROJECT_SOURCE_DIR}/deploy/prometheus/walnut-alerts.test.yml"
        DESTINATION share/walnut/prometheus)
install(FILES "${PROJECT_SOURCE_DIR}/deploy/grafana/walnut-dashboard.json" DESTINATION share/walnut/grafana)

# Debian's documentation files: copyright and a changelog (lintian requires both; a version
# without a Debian revision is a native package, whose changelog is changelog.gz).
string(TIMESTAMP walnut_changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE "${gen}/doc/changelog"
     "walnut (${PROJECT_VERSION}) unstable; urgency=medium\n\n"
     "  * Built from the Walnut repository with CPack.\n\n"
     " -- Walnut developers <walnut@example.org>  ${walnut_changelog_date}\n")
add_custom_command(OUTPUT "${gen}/doc/changelog.gz"
                   COMMAND gzip -9nkf "${gen}/doc/changelog"
                   DEPENDS "${gen}/doc/changelog" VERBATIM)
add_custom_target(walnut_changelog ALL DEPENDS "${gen}/doc/changelog.gz")
install(FILES "${gen}/doc/changelog.gz" "${PROJECT_SOURCE_DIR}/deploy/debian/copyright"
              "${PROJECT_SOURCE_DIR}/docs/deploy.md"
        DESTINATION share/doc/walnut)

set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME walnut)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "Walnut developers")
# Whoever builds the package for distribution names themselves here (-DWALNUT_PACKAGE_MAINTAINER=
# "Name <address>"); the default is a placeholder address.
set(WALNUT_PACKAGE_MAINTAINER "Walnut developers <walnut@example.org>" CACHE STRING
    "Maintainer field of the .deb: \"Name <address>\"")
set(CPACK_PACKAGE_CONTACT "${WALNUT_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "PostgreSQL backups and point-in-time recovery, compatible with WAL-G")
# CPack puts the summary first; this is the extended description after it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Walnut streams base backups and WAL of PostgreSQL to a directory or S3,
 compressed and encrypted, and restores them. It is a drop-in for WAL-G:
 the same commands, settings and storage layout; it is also installed as
 wal-g. Restore drills, verify and Prometheus metrics prove the backups
 restore; systemd timers, alert rules and a Grafana dashboard come along.")
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Linked libraries come from dpkg-shlibdeps; libcurl, libpq, librnp and libssh are loaded with
# dlopen when first used (src/net/curl_api.h, src/postgres/libpq_api.h,
# src/pipeline/crypto/pgp_rnp.cc, src/storage/sftp/ssh_api.h), so they are declared here.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libcurl4, libpq5, librnp0, libssh-4")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql, prometheus-node-exporter, gpg")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
