#!/usr/bin/env bash
# Installs what Hartwood's build and tests need, idempotently: Debian packages (cross
# compilers, QEMU as the reference), npm packages, and the compiled TypeScript.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=guest/apt-install.sh
source scripts/guest/apt-install.sh
DEB_PACKAGES=(
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
  gcc-riscv64-linux-gnu g++-riscv64-linux-gnu libc6-dev-riscv64-cross
  qemu-user qemu-system-misc device-tree-compiler
  dpkg-dev time golang-go gcc
  linux-source-6.1 xz-utils make flex bison bc libelf-dev libssl-dev fakeroot e2fsprogs opensbi
)
APT_WHO=setup ensure_debian_packages "${DEB_PACKAGES[@]}"

# npm packages: reinstall only when the lock file changed since the last install.
if ! cmp -s package-lock.json node_modules/.hartwood-installed-lock 2>/dev/null; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.hartwood-installed-lock
fi

npm run build --silent
