# cmake/install.cmake - what `make install` (cmake --install) puts where.
# Owns: the install rules, the generated mxspf.pc and systemd units.
# Paths follow GNUInstallDirs (PREFIX default /usr/local; DESTDIR is
# honoured by cmake --install):
#   bin/mxspf  sbin/mxspfd  sbin/mxspf-milter
#   LIBDIR/libmxspf.so.0 (SONAME, public API only), libmxspf.so, libmxspf.a,
#   LIBDIR/pkgconfig/mxspf.pc  include/mxspf/*.h
#   share/man/man{1,3,5,8}  share/doc/mxspf/examples/mxspfd.conf.example
#   MXSPF_SYSTEMD_UNITDIR/{mxspfd,mxspf-milter}.service
# The configuration itself (/etc/mxspf/mxspfd.conf, which the daemons read
# by default) is never installed: an install must not overwrite the
# administrator's file.  The Debian package ships one as a conffile.
# tests/install checks the result.
# SPDX-License-Identifier: BSD-2-Clause
include(GNUInstallDirs)

# Relative: under the prefix (/usr/local/lib/systemd/system is on
# systemd's search path).  Debian passes /lib/systemd/system; empty: no
# units.
set(MXSPF_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
  "Where make install puts the systemd units (relative: under the prefix)")

install(TARGETS mxspf RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
foreach(prog mxspfd mxspf-milter)
  if(TARGET ${prog})
    install(TARGETS ${prog} RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
  endif()
endforeach()
install(TARGETS libmxspf ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
if(TARGET libmxspf_shared)
  install(TARGETS libmxspf_shared LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
endif()
file(GLOB MXSPF_PUBLIC_HEADERS CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/include/mxspf/*.h)
install(FILES ${MXSPF_PUBLIC_HEADERS}
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mxspf)

# mxspf.pc: the dependencies are private (no public header includes theirs)
# and only needed to link the static library: pkg-config --static.
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(MXSPF_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(MXSPF_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/mxspf.pc.in
  ${PROJECT_BINARY_DIR}/mxspf.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/mxspf.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# Man pages: docs/NAME.SECTION.
foreach(section 1 3 5 8)
  file(GLOB pages CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.${section})
  install(FILES ${pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/docs/mxspfd.conf.example
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# The systemd units, one template (systemd/daemon.service.in) for both
# daemons.  mxspf-milter reloads on SIGUSR2: libmilter stops on SIGHUP.
set(MXSPF_UNIT_DESC_mxspfd "mxspf SPF policy server for Postfix")
set(MXSPF_UNIT_DESC_mxspf-milter "mxspf SPF milter for the final MX")
set(MXSPF_UNIT_RELOAD_mxspfd "ExecReload=/bin/kill -HUP $MAINPID")
set(MXSPF_UNIT_RELOAD_mxspf-milter
  "# SIGUSR2, not SIGHUP: libmilter stops the milter on SIGHUP.
ExecReload=/bin/kill -USR2 $MAINPID")
foreach(prog mxspfd mxspf-milter)
  if(TARGET ${prog} AND NOT MXSPF_SYSTEMD_UNITDIR STREQUAL "")
    set(MXSPF_UNIT_PROG ${prog})
    set(MXSPF_UNIT_DESCRIPTION "${MXSPF_UNIT_DESC_${prog}}")
    set(MXSPF_UNIT_RELOAD "${MXSPF_UNIT_RELOAD_${prog}}")
    configure_file(${PROJECT_SOURCE_DIR}/systemd/daemon.service.in
      ${PROJECT_BINARY_DIR}/systemd/${prog}.service @ONLY)
    install(FILES ${PROJECT_BINARY_DIR}/systemd/${prog}.service
      DESTINATION ${MXSPF_SYSTEMD_UNITDIR})
  endif()
endforeach()
