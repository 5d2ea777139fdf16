#!/bin/sh
# Installs the Debian packages tally needs to build and test, and nothing
# when they are all there already. Runs apt-get through sudo when not root.
set -eu

PACKAGES="build-essential pkg-config gettext sqlite3 tmux clang libclang-rt-14-dev
libsqlite3-dev libsodium-dev libcmocka-dev libzmq3-dev libqrencode-dev
libzbar-dev zbar-tools libzxing-dev libpng-dev libcurl4-openssl-dev libjpeg62-turbo-dev imagemagick libncurses-dev libmsgpack-dev libpango1.0-dev libfontconfig-dev fonts-dejavu-core man-db groff-base systemd
python3 python3-aiosmtpd openssl"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine is often running its own apt (unattended upgrades) at the
# first boot: wait for its lock rather than fail.
WAIT="-o DPkg::Lock::Timeout=600"
# shellcheck disable=SC2086
$SUDO apt-get $WAIT update -qq
# shellcheck disable=SC2086
$SUDO apt-get $WAIT install -y -qq --no-install-recommends $missing >/dev/null
