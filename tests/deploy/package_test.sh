#!/usr/bin/env bash
# The Debian package, for real on this machine (root): scripts/package.sh builds it; lintian
# finds no error; dpkg -i + apt-get -f install installs it; parley --version and parley config
# check run from /usr/bin; systemd-analyze verify accepts the unit and systemd-analyze security
# (offline, from the unit file) rates it OK or better; the secrets file is 0640 root:parley;
# dpkg --purge leaves none of its files. Safe to rerun: a leftover parley package from an
# interrupted run is purged first, and the package is purged on every exit.
# Usage: tests/deploy/package_test.sh BUILD_DIR
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "FAIL: installs a package: needs root"; exit 1; }
work=$(mktemp -d)
fail() { echo "FAIL: $*"; exit 1; }

# dpkg takes its lock or fails at once; other work on the machine may hold it for a while.
dpkg_locked() {
  local deadline=$((SECONDS + 300)) out
  while :; do
    if out=$("$@" 2>&1); then printf '%s\n' "$out"; return 0; fi
    if ! grep -q 'lock' <<<"$out" || [ $SECONDS -ge $deadline ]; then printf '%s\n' "$out" >&2; return 1; fi
    sleep 1
  done
}
purge() {
  if dpkg-query -W -f='${Status}' parley 2>/dev/null | grep -q 'install\|config-files'; then
    dpkg_locked dpkg --purge parley >/dev/null
  fi
}
cleanup() { purge || true; rm -rf "$work"; }
trap cleanup EXIT
purge

deb=$("$root/scripts/package.sh" "$build" "$work/out" 2>"$work/package.log" | tail -1) ||
  { cat "$work/package.log"; fail "scripts/package.sh"; }
echo "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"
depends=$(dpkg-deb --field "$deb" Depends)
echo "Depends: $depends"
# Each dependency is one apt can install from Debian's lists (a package or a virtual one with
# a provider, like libspdlog1.10-fmt9): what a fresh machine's apt-get install needs.
for p in $(tr ',' '\n' <<<"$depends" | awk '{print $1}'); do
  apt-get -s -q install "$p" >/dev/null 2>&1 || fail "Depends: apt cannot install $p"
done
grep -q 'pocketsphinx-en-us' <<<"$depends" && grep -q 'libflite1' <<<"$depends" && grep -q 'espeak-ng-data' <<<"$depends" ||
  fail "Depends lacks the embedded engines' data"
files=$(dpkg-deb --contents "$deb" | awk '{print $6}' | sed 's|^\./|/|' | grep -v '/$')
for f in /usr/bin/parley /etc/parley/parley.yaml /lib/systemd/system/parley.service \
         /usr/share/man/man1/parley.1.gz /usr/share/doc/parley/copyright \
         /usr/share/parley/prometheus/alerts.yml /usr/share/parley/grafana/parley.json; do
  grep -qx "$f" <<<"$files" || fail "$f is not in the package"
done
[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = /etc/parley/parley.yaml ] || fail "conffiles"

# lintian: no error (warnings and info are printed for the record).
lintian --tag-display-limit 0 "$deb" > "$work/lintian.txt" 2>&1 || true
cat "$work/lintian.txt"
! grep -q '^E:' "$work/lintian.txt" || fail "lintian reports errors"

dpkg_locked dpkg -i "$deb" > "$work/dpkg.log" || {
  cat "$work/dpkg.log"
  DEBIAN_FRONTEND=noninteractive dpkg_locked apt-get -f install -y -q || fail "apt-get -f install"
}
DEBIAN_FRONTEND=noninteractive dpkg_locked apt-get -f install -y -q >/dev/null || fail "apt-get -f install"
[ "$(dpkg-query -W -f='${Status}' parley)" = "install ok installed" ] || fail "parley not installed"
/usr/bin/parley --version | tee "$work/version"
grep -q '^parley [0-9].* (commit [0-9a-f]' "$work/version" || fail "--version does not name the commit"
zcat /usr/share/man/man1/parley.1.gz | grep -q '^.SS "parley serve"' || fail "the man page lacks the commands"

# The secrets file: root and the service user only; the user has no shell and no privileges.
[ "$(stat -c '%a %U %G' /etc/parley/parley.env)" = "640 root parley" ] || fail "parley.env: $(stat -c '%a %U %G' /etc/parley/parley.env)"
getent passwd parley | grep -q ':/usr/sbin/nologin$' || fail "parley user: $(getent passwd parley)"
# The packaged configuration is valid once the secret is in the environment (as the unit's
# EnvironmentFile gives it); without it, config check names the missing secret and exits 2.
rc=0; env -u LIVEKIT_API_SECRET /usr/bin/parley --config /etc/parley/parley.yaml config check > "$work/nosecret" 2>&1 || rc=$?
[ $rc -eq 2 ] && grep -q 'livekit.api_secret' "$work/nosecret" || fail "config check without a secret: rc=$rc"
( set -a; printf 'LIVEKIT_API_SECRET=%s\n' "$(head -c 24 /dev/urandom | base64)" > "$work/env"; . "$work/env"
  runuser -u parley -- /usr/bin/parley --config /etc/parley/parley.yaml config check > "$work/check" ) ||
  { cat "$work/check"; fail "parley config check as the service user"; }
echo "config check as user parley: ok"
# The shipped Prometheus configuration loads with its rules where the package put them.
promtool check config /usr/share/parley/prometheus/prometheus.yml || fail "promtool check config"

# systemd, offline (systemd is not PID 1 here): the unit verifies and is rated.
unit=/lib/systemd/system/parley.service
systemd-analyze verify "$unit" > "$work/verify" 2>&1 || { cat "$work/verify"; fail "systemd-analyze verify"; }
[ ! -s "$work/verify" ] || { cat "$work/verify"; fail "systemd-analyze verify complained"; }
grep -qx 'TimeoutStopSec=330s' "$unit" || fail "TimeoutStopSec is not calls.drain_timeout (5m) + 30s"
systemd-analyze security --offline=yes --no-pager "$unit" > "$work/security" 2>&1 || true
score=$(grep -oE 'Overall exposure level for parley.service: [0-9.]+ [A-Z]+' "$work/security") ||
  { cat "$work/security"; fail "no exposure level"; }
echo "systemd-analyze security: $score"
case "$score" in *" OK"|*" SAFE") ;; *) fail "exposure not OK or better: $score" ;; esac

dpkg_locked dpkg --purge parley >/dev/null
for f in $files /etc/parley/parley.env /etc/parley; do
  [ ! -e "$f" ] || fail "$f is left after purge"
done
[ -z "$(dpkg-query -W -f='${Status}' parley 2>/dev/null | grep -v not-installed)" ] || fail "still known to dpkg"
echo "purged: no file left"
echo "PASS"
