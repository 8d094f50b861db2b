#!/usr/bin/env bash
# Installs what wafleet needs on a fresh Debian/Ubuntu machine with Node.js 20+ and npm, then
# installs dependencies and builds. Idempotent: a second run only checks.
#   bash infra/local/setup.sh          # runtime needs (redis-server)
#   bash infra/local/setup.sh --test   # plus test needs (prometheus/promtool, chromium)
set -euo pipefail
cd "$(dirname "$0")/../.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# 1. Node.js 20 or newer.
command -v node >/dev/null 2>&1 || die "Node.js is not installed. Install Node.js 20 or newer (https://nodejs.org or your distribution's nodejs package), then re-run."
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js $(node --version) is too old; wafleet needs Node.js 20 or newer."

# 2. pnpm 10 (the version pinned in package.json "packageManager").
pnpm_version=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null | cut -d. -f1)" != "${pnpm_version%%.*}" ]; then
  say "installing pnpm@${pnpm_version} with npm"
  if ! npm install -g "pnpm@${pnpm_version}" >/dev/null 2>&1; then
    die "could not install pnpm globally (npm install -g pnpm@${pnpm_version} failed; not root?). Install it yourself: 'sudo npm install -g pnpm@${pnpm_version}', or use a Node version manager, then re-run."
  fi
fi

# 3. System packages, through apt when we are root on Debian/Ubuntu.
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ "$want_test" = 1 ]; then
  command -v promtool >/dev/null 2>&1 || need+=(prometheus)
  command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
fi
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${need[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || die "apt-get update failed; check the machine's package sources."
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || die "apt-get install ${need[*]} failed."
  elif command -v apt-get >/dev/null 2>&1; then
    die "missing: ${need[*]}. Run as root, or install them first: sudo apt-get install -y ${need[*]}"
  else
    die "missing: ${need[*]}. This is not a Debian/Ubuntu machine; install them with your package manager (Redis 7 provides redis-server; Prometheus provides promtool; Chromium for browser tests), then re-run."
  fi
fi

# 4. Dependencies (exactly the lockfile) and build.
say "installing dependencies"
log=$(mktemp)
if ! pnpm install --frozen-lockfile --reporter=append-only >"$log" 2>&1; then
  cat "$log" >&2; rm -f "$log"
  die "pnpm install failed (see above)."
fi
rm -f "$log"
say "building"
pnpm exec turbo run build --output-logs=errors-only >/dev/null || { pnpm exec turbo run build --output-logs=errors-only; die "build failed (see above)."; }
say "ready"
