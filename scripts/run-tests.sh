#!/usr/bin/env bash
# The whole test suite against real PostgreSQL, Redis and real server and worker processes.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-services.sh
scripts/ensure-venv.sh
exec .venv/bin/python -m pytest "$@"
