#!/usr/bin/env bash
# The main job: set-up, then boot the built-in Linux guest (kernel, busybox, ext4 root disk;
# built from Debian's packages on first use, with progress) to a shell on this terminal.
# Ctrl-A x quits; `poweroff` in the guest ends it too. Files under / persist on the disk.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node bin/hartwood.js boot "$@"
