#!/usr/bin/env bash
# Installs the Node peers of the hub's client tests (examples/tests/hub_sse_clients.rs,
# hub_ws_clients.rs and hub_mastodon_clients.rs): the npm `eventsource` and `ws` packages and the
# Mastodon client libraries masto and megalodon, pinned by examples/tests/node/package-lock.json,
# with `npm ci` into examples/tests/node/node_modules. Idempotent: does nothing when the lock file
# has not changed since the last successful install. megalodon 10.3.0 declares Node 22 in its
# `engines`; its Mastodon streaming runs on Node 20, which the tests exercise, and npm only warns.
# masto stays on 7.12.0 (masto 8 needs Node 22's global WebSocket), npm eventsource on 4.1.1
# (5.x needs Node 22).
set -euo pipefail
cd "$(dirname "$0")/../../examples/tests/node"

if ! command -v npm >/dev/null; then
    echo "note: npm not found; the hub's Node client tests need Node 20 or newer and npm" >&2
    exit 0
fi
stamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
echo "node peers ready"
