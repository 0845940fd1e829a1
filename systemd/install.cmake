# Install-time script (install(SCRIPT) from the top-level CMakeLists.txt): generates the unit
# files from systemd/*.service.in with the paths of THIS install, so `cmake --install --prefix P`
# and `DESTDIR=D cmake --install` give units whose ExecStart points at P/bin/divaudit.
# Inputs (set by an install(CODE) before this script): DIVAUDIT_SOURCE_DIR, DIVAUDIT_BINARY_DIR,
# DIVAUDIT_REL_BINDIR, DIVAUDIT_UNIT_DIR (relative to the prefix or absolute).
foreach(_var DIVAUDIT_REL_BINDIR DIVAUDIT_UNIT_DIR)
  if(IS_ABSOLUTE "${${_var}}")
    set(_${_var} "${${_var}}")
  else()
    set(_${_var} "${CMAKE_INSTALL_PREFIX}/${${_var}}")
  endif()
endforeach()
set(DIVAUDIT_BINDIR "${_DIVAUDIT_REL_BINDIR}")

set(_out "${DIVAUDIT_BINARY_DIR}/systemd-install")
file(MAKE_DIRECTORY "${_out}")
foreach(_unit divaudit.service divaudit@.service)
  configure_file("${DIVAUDIT_SOURCE_DIR}/systemd/${_unit}.in" "${_out}/${_unit}" @ONLY)
  file(INSTALL DESTINATION "${_DIVAUDIT_UNIT_DIR}" TYPE FILE FILES "${_out}/${_unit}")
endforeach()
