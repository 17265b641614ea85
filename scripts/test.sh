#!/usr/bin/env bash
# Quick start, command 2: install what is needed, then run the whole test suite.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/bootstrap.sh
bash scripts/quality-tools.sh
exec .venv/bin/python -m pytest "$@"
