#!/usr/bin/env bash
# Quick start, command 1: install what is needed, then build the sample site into output/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/bootstrap.sh
exec .venv/bin/python build.py build "$@"
