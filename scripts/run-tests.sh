#!/usr/bin/env bash
# The whole test suite against real PostgreSQL, Redis and real server and worker processes.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-services.sh
scripts/ensure-venv.sh
# Node packages (web/node_modules) and Debian's chromium for the JavaScript and browser tests.
web/setup.sh
exec .venv/bin/python -m pytest "$@"
