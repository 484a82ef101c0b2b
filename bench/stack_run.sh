# Sourced by bench/*/run.sh (in a network namespace): sets `repo` and `parley` (an optional first
# argument that is not an option names the binary; it is shifted off), and brings up a local stack
# of its own in PARLEY_RUN_DIR (a new temp dir unless set), taken down when the script exits.
# PARLEY_STACK_SIP=0 leaves the SIP bridge out.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
parley=$repo/build/src/cli/parley
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then parley=$(realpath "$1"); shift; fi
export PARLEY_RUN_DIR=${PARLEY_RUN_DIR:-$(mktemp -d)}
trap 'bash "$repo/scripts/stack.sh" down >/dev/null 2>&1 || true' EXIT
bash "$repo/scripts/stack.sh" up >/dev/null
