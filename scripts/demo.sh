#!/usr/bin/env bash
# The main job until the Linux guest boots: build and run the bare-metal demo program.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cache="${HARTWOOD_CACHE:-$HOME/.cache/hartwood}/demo"
mkdir -p "$cache"
riscv64-unknown-elf-gcc -march=rv64gc -mabi=lp64d -nostdlib -nostartfiles -static \
  -Itest/guest/isa -T test/guest/isa/link.ld -o "$cache/hello.elf" test/guest/demo/hello.S
exec node bin/hartwood.js baremetal "$cache/hello.elf"
