#!/usr/bin/env bash
# Command 1: set up everything, then run wafleet on this machine (local Redis unless REDIS_URL is set).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash infra/local/setup.sh
exec node infra/local/dist/stack.js "$@"
