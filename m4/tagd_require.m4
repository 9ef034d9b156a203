# TAGD_REQUIRE(VAR, PKG-SPEC, DEBIAN-PACKAGE)
# PKG_CHECK_MODULES with an error that tells which Debian package to install.
AC_DEFUN([TAGD_REQUIRE], [
  PKG_CHECK_MODULES([$1], [$2], [],
    [AC_MSG_ERROR([$2 not found: install the Debian package $3 (apt-get install $3)])])
])
