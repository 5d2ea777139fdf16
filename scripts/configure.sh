#!/bin/sh
# configure.sh PKG... -- TESTPKG...: prints build/config.mk, the compiler
# and linker flags of the libraries tally uses, as pkg-config gives them on
# this machine. Run by make after scripts/deps.sh, so the libraries are there;
# if one is still missing it says which package provides it and fails.
set -eu
pkgs=""
test_pkgs=""
seen_sep=""
for a in "$@"; do
    if [ "$a" = "--" ]; then seen_sep=1; continue; fi
    if [ -n "$seen_sep" ]; then test_pkgs="$test_pkgs $a"; else pkgs="$pkgs $a"; fi
done
missing=""
for p in $pkgs $test_pkgs; do
    pkg-config --exists "$p" 2>/dev/null || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "configure: pkg-config cannot find:$missing" >&2
    echo "configure: install them with: sudo scripts/deps.sh (Debian 12), then run make again" >&2
    exit 1
fi
# ncursesw asks for _XOPEN_SOURCE=600; we define 700 (a superset) ourselves.
# shellcheck disable=SC2086
cflags=$(pkg-config --cflags $pkgs | tr ' ' '\n' | grep -v -e '^-D_XOPEN_SOURCE=' -e '^-D_DEFAULT_SOURCE$' | tr '\n' ' ')
# shellcheck disable=SC2086
echo "PKG_CFLAGS := $cflags"
# shellcheck disable=SC2086
echo "PKG_LIBS := $(pkg-config --libs $pkgs)"
# shellcheck disable=SC2086
echo "TEST_LIBS := $(pkg-config --libs $test_pkgs)"
# The emulated devices the tests preload (tests/emu) read PNG and write JPEG.
echo "EMU_LIBS := $(pkg-config --libs libpng libjpeg)"
