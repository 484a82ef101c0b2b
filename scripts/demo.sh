#!/usr/bin/env bash
# The README's first command: shows parley doing its main job, offline, on the embedded defaults.
# Installs what is missing, builds parley, and runs everything inside a private network
# namespace that has only loopback: the local LiveKit stack, parley, and a caller.
#
# What it shows grows with the project; each stage says what it does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"

if [ "${PARLEY_IN_NETNS:-}" != 1 ]; then
  bash scripts/install.sh all
  # The same configuration as scripts/test.sh's optimised build, so the two README commands share
  # build/ (a different build type here made each of them rebuild everything after the other).
  if [ ! -f build/CMakeCache.txt ]; then
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
      "-DCMAKE_C_FLAGS_RELEASE=-O2 -DNDEBUG" >/dev/null
  fi
  cmake --build build -j "$(nproc)" --target parley
  exec scripts/netns.sh bash "$0" "$@"
fi

export PARLEY_RUN_DIR=${PARLEY_RUN_DIR:-$repo/.run/demo}
parley=$repo/build/src/cli/parley
cleanup() { bash scripts/stack.sh down >/dev/null 2>&1 || true; }
trap cleanup EXIT

echo "== 1. the local LiveKit stack (loopback only)"
eval "$(bash scripts/stack.sh up)"
echo "== 2. parley's configuration (example file, secrets from the environment)"
"$parley" config check --config parley.example.yaml | head -20
for stage in "$repo"/scripts/demo.d/*.sh; do
  [ -f "$stage" ] || continue
  # shellcheck source=/dev/null
  source "$stage"
done
echo "== done; logs in $PARLEY_RUN_DIR"
