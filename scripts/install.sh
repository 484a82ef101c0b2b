#!/usr/bin/env bash
# Installs everything parley's build, tests and demo need on a fresh Debian 12 machine.
# Idempotent: a second run checks stamps and returns in seconds.
#   - Debian packages (C++ libraries, engines, redis, a SIP phone, sanitizer runtimes)
#   - LiveKit's programs built with `go install` at pinned versions, cached in $PARLEY_CACHE/bin
#   - a Python virtual environment with the official LiveKit Python SDK, in $PARLEY_CACHE/venv
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
  libprotobuf-dev protobuf-compiler
  nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev libexpected-dev
  libnice-dev libglib2.0-dev libsrtp2-dev libusrsctp-dev
  libopus-dev libopusfile-dev libspeexdsp-dev libsoxr-dev libwebrtc-audio-processing-dev
  libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us
  flite1-dev libespeak-ng-dev espeak-ng
  libgtest-dev libgmock-dev libbenchmark-dev
  redis-server baresip sox curl iproute2 procps util-linux
  python3-venv
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
  # The Go module proxy reachable here answers 403 "not available" for the SIP bridge and the lk
  # CLI; they stay in the list so a machine that can fetch them gets them.
  go_tool livekit-sip "github.com/livekit/sip/cmd/livekit-sip@${LIVEKIT_SIP_VERSION}" optional
  go_tool lk "github.com/livekit/livekit-cli/v2/cmd/lk@${LIVEKIT_CLI_VERSION}" optional
}

install_venv() {
  local venv="$PARLEY_CACHE/venv" want stamp="$PARLEY_CACHE/venv/.requirements"
  want=$(cat "$here/requirements-test.txt")
  if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    log "python venv: present"; return
  fi
  log "python venv: installing $(tr '\n' ' ' < "$here/requirements-test.txt")"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements-test.txt"
  echo "$want" > "$stamp"
}

what=${1:-all}
case "$what" in
  all) install_debs; install_go_tools; install_venv ;;
  debs) install_debs ;;
  go) install_go_tools ;;
  venv) install_venv ;;
  *) echo "usage: $0 [all|debs|go|venv]" >&2; exit 2 ;;
esac
log "done ($what); tools in $PARLEY_CACHE/bin"
