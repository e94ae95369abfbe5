#!/usr/bin/env bash
# Installs the npm packages of the Mastodon client tests (examples/tests/hub_mastodon_clients.rs):
# megalodon, masto and ws, exactly as pinned in examples/tests/node/package-lock.json, into the
# ignored examples/tests/node/node_modules. Idempotent: does nothing when the lock file has not
# changed since the last successful install. Needs Node.js 20 or newer and npm (megalodon
# 10.3.0 declares Node 22 in its `engines`; its Mastodon streaming runs on Node 20, which the
# tests exercise, and npm only warns). masto stays on 7.12.0: masto 8 needs Node 22's global
# WebSocket. (The Python side, Mastodon.py and websockets, is the venv of
# scripts/venvs/mastodon-clients.txt.)
set -euo pipefail
cd "$(dirname "$0")/../../examples/tests/node"

stamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
if ! command -v npm >/dev/null; then
    echo "npm is missing: install Node.js 20 or newer for the Mastodon client tests" >&2
    exit 1
fi
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
echo "Mastodon client packages ready"
