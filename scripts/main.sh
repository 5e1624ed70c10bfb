#!/usr/bin/env bash
# The main job on the embedded NumPy default, on a fresh machine (Python 3.11 + pip):
# creates .venv, installs the core with its CLI extras, prints gamma tables and writes
# example masks to report/.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[cli]"
.venv/bin/dropblock-core gamma --shape 14,14 --block 7 --drop 0.05 0.1 0.2
.venv/bin/dropblock-core gamma --shape 14,14 --block 7 --seed-region full --drop 0.1
.venv/bin/dropblock-core masks --shape 28,28 --block 7 --drop 0.1 --out report/masks.png
