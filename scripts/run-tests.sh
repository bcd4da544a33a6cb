#!/usr/bin/env bash
# The whole test suite against real PostgreSQL, Redis and real server and worker processes, after
# the linters.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-services.sh
scripts/ensure-venv.sh
# Node packages (web/node_modules) and Debian's chromium for the JavaScript and browser tests.
web/setup.sh
# Lint and import order (ruff), then type hints (mypy with the Django and DRF stubs): pyproject.toml.
.venv/bin/ruff check .
.venv/bin/mypy .
exec .venv/bin/python -m pytest "$@"
