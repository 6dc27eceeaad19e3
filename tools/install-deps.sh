#!/bin/sh
# Installs, from Debian 12's packages, whatever ctnn's build, tests, benchmarks and demo need
# and this machine lacks. Idempotent: does nothing when everything is present.
set -eu

packages="g++ meson ninja-build pkg-config libhwy-dev libboost-dev libboost-test-dev \
libbenchmark-dev libeigen3-dev zlib1g-dev dataset-fashion-mnist \
python3 python3-numpy python3-torch python3-matplotlib \
gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib libnewlib-arm-none-eabi qemu-system-arm qemu-user \
clang-14 libclang-rt-14-dev time libtorch-dev"

missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done

if [ -n "$missing" ]; then
  echo "ctnn: installing:$missing"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get -o DPkg::Lock::Timeout=1200 update -q
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get -o DPkg::Lock::Timeout=1200 install -y -q --no-install-recommends $missing
fi
