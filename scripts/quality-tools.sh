#!/usr/bin/env bash
# Installs the tools tests/quality and the publishing checks run (tests/test_workflow.py,
# tests/test_host_tools.py: netlify-cli, wrangler with its workerd binary, Netlify's parsers);
# safe to run repeatedly, fast when all is there.
#   - Chromium from Debian (/usr/bin/chromium): the only browser; none is ever downloaded.
#   - Java 17 for the W3C Nu HTML checker, Node.js >= 20 for Lighthouse 12 and linkinator.
#   - The npm packages pinned in package-lock.json, into ./node_modules, with --ignore-scripts
#     (no install script runs, so nothing fetches a browser or a JRE).
# Called by scripts/test.sh. Needs root (or sudo) only when an apt package is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
if command -v node >/dev/null 2>&1 && ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} with apt-get" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v npm >/dev/null 2>&1 || {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
}

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "error: Node.js >= 20 is needed for Lighthouse 12 and linkinator (found $(node --version))" >&2
  exit 1
fi

# Reinstall only when the pinned packages change.
stamp=node_modules/.quality-tools-installed
want=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log=$(mktemp)
  if ! npm ci --ignore-scripts --no-audit --no-fund >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"
    echo "error: npm ci failed (log above)" >&2; exit 1
  fi
  rm -f "$log"
  echo "$want" > "$stamp"
fi
