#!/usr/bin/env bash
# Sets up the workspace on a fresh Debian machine with Node 20 and npm:
# installs pnpm, then the dependencies. With --browser, also Debian's chromium for the
# browser tests; with --broker, Debian's rabbitmq-server for the RabbitMQ store's tests.
# Run it as `npm run setup` (or `npm run setup:test`, which asks for both).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "12.4.2" ]; then
  npm install -g pnpm@12.4.2
fi

# better-sqlite3 compiles against Node's headers when no prebuilt binary can be fetched.
# node-gyp would download them; point it at the ones installed with Node instead.
if [ -z "${npm_config_nodedir:-}" ]; then
  for dir in /usr /usr/local "$(dirname "$(dirname "$(command -v node)")")"; do
    if [ -f "$dir/include/node/node.h" ]; then
      export npm_config_nodedir="$dir"
      break
    fi
  done
fi

pnpm install

for arg in "$@"; do
  case "$arg" in
    --browser) bash scripts/install-chromium.sh ;;
    --broker) bash scripts/install-rabbitmq.sh ;;
  esac
done
