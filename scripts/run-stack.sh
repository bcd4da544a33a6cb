#!/usr/bin/env bash
# The whole stack on this machine: installs, creates and migrates the database, collects the static
# files, creates the demo users, prints their tokens, then runs the ASGI server, the worker, beat and
# Flower (Procfile). DEBUG is on unless set otherwise, so the demo page is served too.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-services.sh
scripts/ensure-venv.sh
export PATH="$PWD/.venv/bin:$PATH"
export DEBUG=${DEBUG:-true}
export PORT=${PORT:-8000}
export FLOWER_PORT=${FLOWER_PORT:-5555}
export FLOWER_BASIC_AUTH=${FLOWER_BASIC_AUTH:-admin:flower-demo}

python manage.py ensure_database
python manage.py migrate --noinput
python manage.py collectstatic --noinput --verbosity 0
python manage.py create_demo_users
echo "Flower login: ${FLOWER_BASIC_AUTH}"
# -p keeps honcho from assigning each process a PORT of its own: web listens on $PORT.
exec honcho start -f Procfile -p "$PORT"
