#!/usr/bin/env bash
# Prepares the Python side of the Cattle Drive tests (cattle-drive-types' interop check and the
# examples' end-to-end test against a real cattle_grid 0.5.22): the `cattle-interop` venv with
# the packages pinned in scripts/venvs/cattle-interop.txt, checked to import, with its bytecode
# compiled so that the test's cattle_grid process starts fast. Idempotent; the end-to-end test
# itself makes a fresh directory, sqlite database and RabbitMQ vhost for every run.
set -euo pipefail
cd "$(dirname "$0")/../.."

scripts/venv cattle-interop
python=.venvs/cattle-interop/bin/python
stamp=.venvs/cattle-interop/.cattle-grid-ready
want=$(sha256sum scripts/venvs/cattle-interop.txt | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
"$python" - <<'PY'
import logging
logging.disable(logging.WARNING)
import almabtrieb.model, cattle_grid, cattle_grid.model.account, uvicorn  # noqa: F401
from cattle_grid.version import __version__
assert __version__ == "0.5.22", __version__
PY
"$python" -m compileall -q "$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" >/dev/null || true
command -v rabbitmqctl >/dev/null || echo "note: rabbitmqctl not found; the Cattle Drive broker tests need it to manage users and vhosts" >&2
echo "$want" > "$stamp"
echo "cattle-grid ready"
