#!/usr/bin/env bash
# Whole test suite on a fresh machine (Python 3.11 + pip): creates .venv, installs the
# project with every backend, framework and third-party implementation the tests need,
# then runs pytest. A missing dependency fails the run; nothing is skipped for it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
PIP=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
"${PIP[@]}" --upgrade pip
"${PIP[@]}" torch==2.13.0                     # the CPU wheel (a bare `torch` pulls CUDA)
"${PIP[@]}" -e ".[test,jax,flax,equinox,tensorflow,keras,docs,validate]"
exec .venv/bin/python -m pytest "$@"
