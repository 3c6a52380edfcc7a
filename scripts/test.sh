#!/usr/bin/env bash
# The full test suite: set-up, type-check, lint, format check, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "test: type-check"
npx tsc -p tsconfig.test.json
echo "test: lint and format"
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
# The Linux guest (kernel from linux-source-6.1, busybox, initramfs, ext4 disk): cached in
# $HARTWOOD_CACHE, built here on first use so its progress shows (about 5 minutes on 2 cores).
echo "test: guest image"
node bin/hartwood.js image build >/dev/null
if [ "${HARTWOOD_DEFCONFIG:-}" = 1 ]; then node bin/hartwood.js image build --defconfig >/dev/null; fi
echo "test: vitest"
npx vitest run "$@"
