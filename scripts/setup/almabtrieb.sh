#!/usr/bin/env bash
# Prepares almabtrieb's own real-server test suite for examples/tests/almabtrieb_hub.rs: the
# `almabtrieb` venv (scripts/venvs/almabtrieb.txt: almabtrieb and pytest, pinned) and the tests
# of almabtrieb's source distribution, downloaded with pip, checked against the pinned sha256
# and unpacked to .venvs/almabtrieb/src/almabtrieb-VERSION. Idempotent: does nothing when that
# is already in place for this version and hash.
set -euo pipefail
cd "$(dirname "$0")/../.."

version=0.3.0
sha256=1ef1d4524a05597cda4dd33c86ef84aacef2184764014beca1e0316c70651b2e

scripts/venv almabtrieb
venv=.venvs/almabtrieb
stamp=$venv/.sdist-ready
want="almabtrieb-$version $sha256"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
    && [ -f "$venv/src/almabtrieb-$version/almabtrieb/test_real.py" ]; then
    exit 0
fi
download=$(mktemp -d)
trap 'rm -rf "$download"' EXIT
"$venv/bin/python" -m pip download --quiet --disable-pip-version-check \
    --no-binary :all: --no-deps --dest "$download" "almabtrieb==$version"
archive="$download/almabtrieb-$version.tar.gz"
echo "$sha256  $archive" | sha256sum --check --quiet
rm -rf "$venv/src"
mkdir -p "$venv/src"
tar -xzf "$archive" -C "$venv/src"
test -f "$venv/src/almabtrieb-$version/almabtrieb/test_real.py"
echo "$want" > "$stamp"
echo "almabtrieb $version test suite ready"
