#!/usr/bin/env bash
# Builds parley's Debian package from a build tree: parley_<version>_<arch>.deb with
#   /usr/bin/parley (stripped), /etc/parley/parley.yaml (conffile, the example configuration),
#   /lib/systemd/system/parley.service (hardened; TimeoutStopSec from calls.drain_timeout),
#   the man page (help2man), the Prometheus alerts and the Grafana dashboard under
#   /usr/share/parley/, and Depends from dpkg-shlibdeps plus the embedded engines' data.
# Usage: scripts/package.sh [BUILD_DIR [OUT_DIR]]   (default: build, BUILD_DIR/package)
# Prints the .deb's path. Needs dpkg-dev, help2man, fakeroot (scripts/install.sh debs).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
out=${2:-$build/package}
cmake --build "$build" --target parley >&2
bin="$build/src/cli/parley"

version=$("$bin" --version | awk '{print $2}')
arch=$(dpkg --print-architecture)
stage="$out/parley_${version}_$arch"
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$out"

# The stop timeout follows the packaged configuration's drain, plus 30 s to finish the exit.
drain=$(LIVEKIT_API_SECRET=package-build-placeholder-secret-0123456789 "$bin" config check \
        --config "$root/parley.example.yaml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["calls"]["drain_timeout"])')
drain_seconds=$(python3 - "$drain" <<'PY'
import re, sys
m = re.fullmatch(r"(\d+)(ms|s|m|h)", sys.argv[1])
if not m: sys.exit(f"calls.drain_timeout {sys.argv[1]!r}: not a duration this script reads")
n, unit = int(m[1]), m[2]
print(-(-n // 1000) if unit == "ms" else n * {"s": 1, "m": 60, "h": 3600}[unit])
PY
)

install -D -m 0755 "$bin" "$stage/usr/bin/parley"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/parley"
install -D -m 0644 "$root/parley.example.yaml" "$stage/etc/parley/parley.yaml"
# The operator console's page (console.enabled), built from the pinned npm packages, where
# parley looks for it: share/parley/console beside bin/.
"$root/scripts/build_console.sh" "$build/console" >&2
for f in "$build"/console/*; do install -D -m 0644 "$f" "$stage/usr/share/parley/console/$(basename "$f")"; done
mkdir -p "$stage/lib/systemd/system"
sed -e "s/@TIMEOUT_STOP_SEC@/$((drain_seconds + 30))s/" -e "s/@DRAIN_TIMEOUT@/$drain/" \
  "$root/deploy/systemd/parley.service.in" > "$stage/lib/systemd/system/parley.service"
chmod 0644 "$stage/lib/systemd/system/parley.service"
for f in prometheus/alerts.yml prometheus/prometheus.yml grafana/parley.json; do
  install -D -m 0644 "$root/deploy/$f" "$stage/usr/share/parley/$f"
done

# The man page from --help and --version, with the commands' own help as a section. Run as
# plain `parley` (a symlink on PATH), so the usage lines name no build directory.
man="$stage/usr/share/man/man1"
mkdir -p "$man"
commands=$(mktemp)
onpath=$(mktemp -d)
trap 'rm -rf "$commands" "$onpath"' EXIT
ln -s "$bin" "$onpath/parley"
bin_on_path() { PATH="$onpath:$PATH" parley "$@"; }
{
  echo "[COMMANDS]"
  for c in $(bin_on_path --help | awk '/^Subcommands:/{s=1;next} s&&/^  [a-z]/{print $1} s&&/^$/{s=0}'); do
    printf '.SS "parley %s"\n.nf\n' "$c"
    bin_on_path "$c" --help 2>&1 | sed -e 's/\\/\\\\/g' -e 's/^\./\\\&./'
    printf '.fi\n'
  done
  printf '[FILES]\n/etc/parley/parley.yaml \- the configuration (conffile).\n.br\n'
  printf '/etc/parley/parley.env \- secrets for the service, mode 0640 root:parley.\n.br\n'
  printf '/usr/share/parley/prometheus/, /usr/share/parley/grafana/ \- alerts and dashboard.\n'
} > "$commands"
help2man --no-info --section=1 --name="voice AI agent for phone calls on LiveKit" \
  --version-string="$version" --include="$commands" "$onpath/parley" > "$man/parley.1"
gzip -9n "$man/parley.1"

doc="$stage/usr/share/doc/parley"
install -D -m 0644 "$root/deploy/debian/copyright" "$doc/copyright"
{
  printf 'parley (%s) unstable; urgency=medium\n\n' "$version"
  printf '  * Built from %s.\n\n' "$("$bin" --version | sed -n 's/.*(commit \(.*\))/\1/p')"
  printf ' -- parley developers <parley@example.org>  %s\n' "$(date -R -d "@${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}")"
} | gzip -9n > "$doc/changelog.gz"

for s in postinst prerm postrm; do install -m 0755 "$root/deploy/debian/$s" "$stage/DEBIAN/$s"; done
echo /etc/parley/parley.yaml > "$stage/DEBIAN/conffiles"

# Shared-library Depends as dpkg-shlibdeps finds them (it reads a debian/control).
shl=$(mktemp -d)
mkdir -p "$shl/debian"
printf 'Source: parley\n\nPackage: parley\nArchitecture: any\n' > "$shl/debian/control"
shlibs=$(cd "$shl" && dpkg-shlibdeps -O "$stage/usr/bin/parley" | sed -n 's/^shlibs:Depends=//p')
rm -rf "$shl"
# Data the embedded defaults load at run time: pocketsphinx's en-us model, espeak-ng's voices;
# the CA certificates that verify wss:// and https:// servers (LiveKit Cloud, providers);
# adduser for the service user.
depends="$shlibs, pocketsphinx-en-us, espeak-ng-data, ca-certificates, adduser"

(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
  > "$stage/DEBIAN/md5sums"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<CONTROL
Package: parley
Version: $version
Architecture: $arch
Maintainer: parley developers <parley@example.org>
Installed-Size: $size
Depends: $depends
Section: net
Priority: optional
Description: voice AI agent for phone calls on LiveKit
 parley answers phone calls that LiveKit's SIP bridge brings into LiveKit
 rooms: it hears the caller (voice activity detection, speech-to-text),
 answers (a scripted dialogue or an OpenAI-compatible LLM) and speaks
 (text-to-speech), on embedded engines (pocketsphinx, flite, espeak-ng) or
 network providers.
 .
 The package runs "parley serve" as a hardened systemd service, and ships
 the CLI that manages LiveKit rooms, SIP trunks and dispatch rules and
 diagnoses a LiveKit setup, Prometheus alert rules and a Grafana dashboard.
CONTROL

deb="$out/parley_${version}_$arch.deb"
fakeroot dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >&2
echo "$deb"
