#!/usr/bin/env bash
# `npm run bench [-- --quick | --only a,b | --runs N]`: Hartwood against qemu-riscv64 and native
# code on the programs in bench/programs (see bench/run.ts). Writes bench/RESULTS.md (and
# RESULTS-system.md, RESULTS-startup.md for the system-mode and start-up sections).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# GNU time measures peak RSS; the shell keyword `time` cannot.
if [ ! -x /usr/bin/time ]; then
  echo "bench: installing Debian package time"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends time
fi
npx vite-node bench/baremetal-loop.ts
npx vite-node bench/startup.ts -- "$@" || echo "bench: the start-up section failed (see above)" >&2
npx vite-node bench/system.ts -- "$@" || echo "bench: the system section failed (see above and bench/RESULTS-system.md)" >&2
exec npx vite-node bench/run.ts -- "$@"
