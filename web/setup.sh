#!/usr/bin/env bash
# Installs what the JavaScript and browser tests need, skipping what is already there:
# web/node_modules exactly as package-lock.json pins it, and Debian's chromium for Playwright.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "web/setup.sh: Node.js 20+ and npm are required" >&2
  exit 1
fi

stamp=node_modules/.package-lock.sha256
wanted=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "web/setup.sh: installing web/node_modules" >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$wanted" > "$stamp"
fi

# The emoji font only makes the screenshots show emoji instead of empty boxes.
if [ ! -x /usr/bin/chromium ] || [ ! -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "web/setup.sh: installing Debian's chromium and fonts-noto-color-emoji" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null
  else
    echo "web/setup.sh: install Debian's chromium and fonts-noto-color-emoji packages" >&2
    exit 1
  fi
fi
