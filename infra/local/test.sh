#!/usr/bin/env bash
# Command 2: set up everything (test tools included), then format check, lint, typecheck and the
# whole test suite. Ends with a plain "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash infra/local/setup.sh --test
echo "[test] format check"; pnpm exec prettier --check . --log-level warn
echo "[test] lint"; pnpm exec eslint . --max-warnings 0
echo "[test] typecheck"; pnpm exec turbo run typecheck --output-logs=errors-only
echo "[test] config table in README"; node infra/local/dist/config-table.js --check
echo "[test] test suite"
exec pnpm exec vitest run
