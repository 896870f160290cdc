# Installation layout and the Debian package (CPack, `cpack -G DEB` in a build directory):
#   /usr/bin/capstan, /usr/bin/scaleway-iam-sim
#   /usr/share/capstan/capabilities/   the capabilities capstan ships (the seed)
#   /etc/capstan/capabilities/         what the systemd unit serves (conffiles: the seed)
#   /etc/capstan/env                   the unit's EnvironmentFile (conffile; API keys go here)
#   /lib/systemd/system/capstan.service
# docs/operations.md shows the install; tests/packaging checks it.
include(GNUInstallDirs)

install(TARGETS capstan scaleway-iam-sim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/capabilities/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/capstan/capabilities FILES_MATCHING PATTERN "*.yaml")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/capabilities/
  DESTINATION /etc/capstan/capabilities FILES_MATCHING PATTERN "*.yaml")
install(FILES ${PROJECT_SOURCE_DIR}/packaging/systemd/capstan.env DESTINATION /etc/capstan
  RENAME env PERMISSIONS OWNER_READ OWNER_WRITE)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/systemd/capstan.service
  DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/operations.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Files under /etc are the administrator's once installed (dpkg asks before replacing them).
file(GLOB capstan_shipped_capabilities RELATIVE ${PROJECT_SOURCE_DIR}/capabilities
  ${PROJECT_SOURCE_DIR}/capabilities/*.yaml)
set(capstan_conffiles "/etc/capstan/env\n")
foreach(f IN LISTS capstan_shipped_capabilities)
  string(APPEND capstan_conffiles "/etc/capstan/capabilities/${f}\n")
endforeach()
file(WRITE ${CMAKE_BINARY_DIR}/debian/conffiles "${capstan_conffiles}")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME capstan)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR capstan)
set(CPACK_PACKAGE_CONTACT "capstan maintainers <capstan@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Runs Naftiko capabilities: upstream HTTP APIs served as REST and MCP servers")
set(CPACK_PACKAGE_DESCRIPTION
  "capstan loads Naftiko alpha2 capability files, validates them and serves their REST and MCP adapters, mapping each request to the upstream API. Includes scaleway-iam-sim, an offline simulator of the Scaleway IAM JWT API.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: from dpkg-shlibdeps
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/debian/conffiles)
set(CPACK_STRIP_FILES ON)
include(CPack)
