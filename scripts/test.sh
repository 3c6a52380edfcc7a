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
echo "test: vitest"
npx vitest run "$@"
