#!/usr/bin/env bash
# Builds the operator console's page (web/console/src) into OUT (default build/console): esbuild
# bundles livekit-client, uPlot and the page's own modules into app.js and app.css, beside
# index.html. The packages come from scripts/install.sh npm (versions pinned by
# web/console/package-lock.json); nothing is fetched at run time, the page loads only its own files.
#   scripts/build_console.sh [OUT]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=${1:-$root/build/console}
"$here/install.sh" npm
mods=$("$here/install.sh" npm-dir)/node_modules
mkdir -p "$out"
rm -f "$out"/*  # nothing left over from an earlier build is served
# NODE_PATH: the sources stay in the repository, their packages in the cache.
NODE_PATH="$mods" "$mods/.bin/esbuild" "$root/web/console/src/app.js" --bundle --minify \
  --format=iife --target=chrome110,firefox110,safari16 --legal-comments=linked \
  --outdir="$out" --entry-names=[name] --log-level=warning
cp "$root/web/console/src/index.html" "$out/index.html"
echo "console page built in $out: $(cd "$out" && ls | tr '\n' ' ')"
