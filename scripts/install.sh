#!/usr/bin/env bash
# Installs everything parley's build, tests and demo need on a fresh Debian 12 machine.
# Idempotent: a second run checks stamps and returns in seconds.
#   - Debian packages (C++ libraries, engines, redis, a SIP phone, sanitizer runtimes)
#   - LiveKit's programs built with `go install` at pinned versions, cached in $PARLEY_CACHE/bin
#   - a Python virtual environment with the official LiveKit Python SDK, in $PARLEY_CACHE/venv
#   - on request (`install.sh peer`), the peer agent of bench/peer: LiveKit Agents from PyPI, pinned
#     in requirements-peer.txt, in $PARLEY_CACHE/peer-venv
#   - on request (`install.sh pipecat`), Pipecat with its LiveKit transport for bench/rooms, pinned in
#     requirements-pipecat.txt, in $PARLEY_CACHE/pipecat-venv
#   - the console's npm packages (livekit-client, uPlot, esbuild, puppeteer-core) at the versions
#     pinned in web/console/package-lock.json, in $PARLEY_CACHE/npm/console-<lock hash>
set -euo pipefail

PARLEY_CACHE=${PARLEY_CACHE:-$HOME/.cache/parley}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.sh
source "$here/versions.sh"

log() { printf '[install] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

DEB_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates ccache
  clang libclang-rt-14-dev
  libboost-dev libboost-system-dev libssl-dev
  libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc
  nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev libexpected-dev
  libnice-dev libglib2.0-dev libsrtp2-dev libusrsctp-dev
  libopus-dev libopusfile-dev libspeexdsp-dev libsoxr-dev libwebrtc-audio-processing-dev
  libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us
  flite1-dev libespeak-ng-dev espeak-ng flite   # flite: its other voices speak bench/stt's test set
  libgtest-dev libgmock-dev libbenchmark-dev
  libre-dev
  redis-server baresip sox curl iproute2 procps util-linux
  nginx-light openssl            # the TLS variant of the local stack (PARLEY_STACK_TLS=1)
  zsh
  prometheus lintian help2man fakeroot systemd
  python3-venv
  nodejs chromium                  # the console's build (esbuild) and its tests in headless Chromium
)

install_debs() {
  local missing=()
  for p in "${DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then log "Debian packages: present"; return; fi
  log "Debian packages: installing ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# go_tool NAME MODULE@VERSION [optional]: builds one pinned Go program into $PARLEY_CACHE/bin/NAME.
# An optional tool that cannot be fetched is reported and skipped (tests that need it say so).
go_tool() {
  local name=$1 pkg=$2 optional=${3:-} stamp="$PARLEY_CACHE/bin/.$1.version"
  if [ -x "$PARLEY_CACHE/bin/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$pkg" ]; then
    log "$name: present ($pkg)"; return
  fi
  log "$name: building $pkg (takes a few minutes once)"
  local tmp; tmp=$(mktemp -d)
  if ! GOBIN="$tmp" GOFLAGS=-mod=mod CGO_ENABLED=1 go install "$pkg" 2>"$tmp.err"; then
    if [ -n "$optional" ]; then
      log "$name: cannot be installed here: $(grep -m1 -oE '[0-9]{3} [A-Za-z ]+|server response: .*' "$tmp.err" || head -c 200 "$tmp.err"); skipped"
      rm -rf "$tmp" "$tmp.err"; return 0
    fi
    cat "$tmp.err" >&2; rm -rf "$tmp" "$tmp.err"; return 1
  fi
  rm -f "$tmp.err"
  local built; built=$(ls "$tmp")
  mv "$tmp/$built" "$PARLEY_CACHE/bin/$name"
  rmdir "$tmp"
  echo "$pkg" > "$stamp"
}

install_go_tools() {
  command -v go >/dev/null || { log "Go is required (1.26): install it first"; exit 1; }
  mkdir -p "$PARLEY_CACHE/bin"
  go_tool livekit-server "github.com/livekit/livekit-server/cmd/server@${LIVEKIT_SERVER_VERSION}"
  # The SIP bridge: `go install` where the module proxy serves it; where it answers 403 (as the
  # one reachable here does), build the same tagged sources kept in ../shared/vendor/livekit-sip.
  if grep -qs '^vendor:' "$PARLEY_CACHE/bin/.livekit-sip.version" && [ -x "$PARLEY_CACHE/bin/livekit-sip" ]; then
    log "livekit-sip: present ($(cat "$PARLEY_CACHE/bin/.livekit-sip.version"))"
  else
    go_tool livekit-sip "github.com/livekit/sip/cmd/livekit-sip@${LIVEKIT_SIP_VERSION}" optional
    [ -x "$PARLEY_CACHE/bin/livekit-sip" ] || sip_from_vendor
  fi
  # The lk CLI is refused the same way and has no vendored copy; nothing needs it.
  go_tool lk "github.com/livekit/livekit-cli/v2/cmd/lk@${LIVEKIT_CLI_VERSION}" optional
}

# sip_from_vendor: builds livekit-sip from the vendored upstream sources (a build input only;
# they are never copied into the project). Stamped by the archives' checksums.
sip_from_vendor() {
  local vendor stamp="$PARLEY_CACHE/bin/.livekit-sip.version"
  vendor=$(cd "$here/../.." 2>/dev/null && pwd)/shared/vendor/livekit-sip
  [ -d "$vendor" ] || vendor=${PARLEY_SIP_VENDOR:-}
  if [ -z "$vendor" ] || [ ! -x "$vendor/build.sh" ]; then
    log "livekit-sip: not served by the module proxy and no vendored sources (../shared/vendor/livekit-sip); phone-call tests will be skipped"
    return 0
  fi
  log "livekit-sip: building from $vendor (takes 1-4 minutes once)"
  "$vendor/build.sh" "$PARLEY_CACHE/bin/livekit-sip.tmp" >&2
  mv "$PARLEY_CACHE/bin/livekit-sip.tmp" "$PARLEY_CACHE/bin/livekit-sip"
  echo "vendor:$(sha256sum "$vendor/SHA256SUMS" | cut -c1-16)" > "$stamp"
}

install_venv() {
  local venv="$PARLEY_CACHE/venv" want stamp="$PARLEY_CACHE/venv/.requirements"
  want=$(cat "$here/requirements-test.txt" "$here/requirements-test-nodeps.txt")
  if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    log "python venv: present"; return
  fi
  log "python venv: installing $(tr '\n' ' ' < "$here/requirements-test.txt")"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements-test.txt"
  # Yandex's generated protobuf code (the official side of the SpeechKit wire tests) without its
  # SDK's dependencies: they would pin protobuf below what livekit-protocol uses, and the
  # generated modules need only protobuf itself.
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps -r "$here/requirements-test-nodeps.txt"
  echo "$want" > "$stamp"
}

# A benchmark's own venv, from its pinned requirements file (dependencies too), reinstalled only
# when that file changes; $4 is a Python check that what it needs works, $5 what fixes it.
install_bench_venv() {
  local name=$1 requirements="$here/$2" what=$3 check=$4 fix=$5
  local venv="$PARLEY_CACHE/$name-venv" stamp="$PARLEY_CACHE/$name-venv/.requirements"
  if [ -x "$venv/bin/python" ] && cmp -s "$stamp" "$requirements"; then
    log "$name venv: present"; return
  fi
  log "$name venv: installing $(grep "^$what" "$requirements") into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
  "$venv/bin/python" -c "$check" || { log "$name venv: the check failed (fix: $fix)"; exit 1; }
  cp "$requirements" "$stamp"
}

# LiveKit Agents for bench/peer. The peer's engines that come from Debian (flite's library and
# voice through ctypes, the model) are checked too.
install_peer() {
  install_bench_venv peer requirements-peer.txt livekit-agents== \
    "import ctypes.util, sys; sys.exit(0 if ctypes.util.find_library('flite_cmu_us_kal16') else 1)" \
    "libflite_cmu_us_kal16 is missing: scripts/install.sh debs"
}

# Pipecat with its LiveKit transport for bench/rooms/pipecat_agents.py (the media-layer
# comparison), in a venv of its own (its protobuf pin differs from the test venv's). Not part of
# `all`: only that benchmark needs it; about 0.55 GB.
install_pipecat() {
  install_bench_venv pipecat requirements-pipecat.txt pipecat-ai "import pipecat.transports.livekit.transport" \
    "see the import error above"
}

# The console's node_modules, installed with `npm ci` from the lock file (exact versions and
# integrity hashes) into a folder named by the lock's hash, so a changed pin gets a fresh folder.
# Prints nothing; scripts/build_console.sh and the browser tests find it with npm_dir.
npm_dir() { echo "$PARLEY_CACHE/npm/console-$(sha256sum "$here/../web/console/package-lock.json" | cut -c1-16)"; }
install_npm() {
  local dir; dir=$(npm_dir)
  if [ -f "$dir/.installed" ]; then log "npm packages: present ($dir)"; return; fi
  # npm comes with nodejs where Node is NodeSource's (as on this project's machines); Debian's
  # own nodejs has it as a package of its own, which conflicts with NodeSource's.
  if ! command -v npm >/dev/null; then
    log "npm: installing Debian's package"
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  log "npm packages: installing into $dir"
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  cp "$here/../web/console/package.json" "$here/../web/console/package-lock.json" "$dir.tmp/"
  # --ignore-scripts: nothing downloads a browser of its own (Chromium comes from Debian).
  (cd "$dir.tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  # esbuild's binary comes in its platform package; check it runs.
  "$dir.tmp/node_modules/.bin/esbuild" --version >/dev/null
  rm -rf "$dir" && mv "$dir.tmp" "$dir" && touch "$dir/.installed"
}

what=${1:-all}
case "$what" in
  all) install_debs; install_go_tools; install_venv; install_npm ;;
  npm) install_npm ;;
  npm-dir) npm_dir; exit 0 ;;
  debs) install_debs ;;
  go) install_go_tools ;;
  venv) install_venv ;;
  peer) install_peer ;;
  pipecat) install_pipecat ;;
  *) echo "usage: $0 [all|debs|go|venv|peer|pipecat|npm|npm-dir]" >&2; exit 2 ;;
esac
log "done ($what); tools in $PARLEY_CACHE/bin"
