#!/usr/bin/env bash
# Installs the runtime versia-server runs on, Bun, for versia-ws's versia-server interop test
# (versia-ws/tests/versia_server.rs) and its vector generator (scripts/versia-server/vectors.mjs):
# the npm `bun` package, pinned by scripts/versia-server/package-lock.json, with `npm ci` into
# scripts/versia-server/node_modules (the binary comes inside the registry package for the
# platform). Idempotent: does nothing when the lock file has not changed since the last
# successful install.
set -euo pipefail
cd "$(dirname "$0")/../versia-server"

if ! command -v npm >/dev/null; then
    echo "note: npm not found; versia-ws's versia-server interop test needs Node 20 or newer and npm" >&2
    exit 0
fi
stamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
echo "versia-server runtime ready"
