#!/usr/bin/env bash
# The main job on the embedded NumPy default, on a fresh machine (Python 3.11 + pip):
# creates .venv, installs the core with its CLI extras, prints the gamma table and runs the
# conformance validator (the reference in every mode, plus any third-party DropBlock that is
# installed), writing the report to report/. Extra arguments go to `dropblock-core validate`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[cli]"
.venv/bin/dropblock-core gamma --shape 14,14 --block 7 --drop 0.05 0.1 0.2
exec .venv/bin/dropblock-core validate --out report "$@"
