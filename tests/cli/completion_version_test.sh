#!/usr/bin/env bash
# `parley completion bash|zsh` completes subcommands and options from the registered tree, and
# `parley --version` names the commit the binary was built from (cmake/git_version.cmake).
#   completion_version_test.sh PARLEY REPO
set -uo pipefail
parley=$(realpath "$1") repo=$(realpath "$2")
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# bash: complete the words typed so far with the generated function, as bash would on TAB.
source <("$parley" completion bash) || fail "the bash script does not load"
complete_words() {
  COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
  _parley
  echo "${COMPREPLY[*]}"
}
expect() {  # expect "WANT WORDS" words...: every wanted word is offered
  local want=$1; shift
  local got; got=" $(complete_words "$@") "
  for w in $want; do [[ $got == *" $w "* ]] || fail "parley ${*} <TAB> offers '$got', not $w"; done
}
refuse() {  # refuse WORD words...: WORD is not offered
  local no=$1; shift
  local got; got=" $(complete_words "$@") "
  [[ $got != *" $no "* ]] || fail "parley ${*} <TAB> offers $no"
}
expect "listen say participant completion" parley ""
expect "list remove" parley participant ""
expect "list" parley participant l
expect "--room --identity --seconds --out --as --wait --config --json" parley listen --
expect "--room" parley room create --
expect "setup status trunk dispatch" parley sip ""
expect "create list delete" parley sip trunk ""
refuse "--seconds" parley say --          # say's options, not listen's
refuse "create" parley room create --room list ""   # 'list' here is a room name, not a subcommand
expect "--room" parley room create --room list --
# After an option taking a value, file names are offered.
tmp=$(mktemp -d); touch "$tmp/speech.wav"
expect "$tmp/speech.wav" parley say --wav "$tmp/sp"
rm -rf "$tmp"

# zsh (scripts/install.sh installs it): the generated _parley run on typed words, with zsh's
# completion builtins replaced by stubs that print what would be offered.
zsh_complete() {
  PARLEY=$parley zsh -c 'compdef() { :; }; _describe() { local name=${@[-1]}; print -l -- ${(P)name}; }
    _files() { print -- FILES; }; source <($PARLEY completion zsh); words=("$@"); CURRENT=$#; _parley' zsh "$@"
}
zsh_expect() {  # zsh_expect LINE words...: LINE is among the offers
  local want=$1; shift
  grep -qxF -- "$want" <<<"$(zsh_complete "$@")" || fail "zsh: parley ${*} <TAB> does not offer '$want'"
}
if command -v zsh >/dev/null; then
  zsh_expect "list:list a room's participants" parley participant ""
  zsh_expect "--seconds:stop this many seconds (wall time) after the first audio; also stops when the speaker leaves" parley listen --
  zsh_expect "FILES" parley say --wav ""
  zsh_expect "--room:room name" parley room create --room list ""
  ! zsh_complete parley room create --room list "" | grep -q "^create:" || fail "zsh: a room named list taken for a subcommand"
else
  echo "note: zsh not installed (scripts/install.sh installs it); zsh completion only checked as text"
fi
zsh_script=$("$parley" completion zsh)  # not piped into grep -q: pipefail would see SIGPIPE
grep -q "^#compdef parley" <<<"$zsh_script" || fail "the zsh script has no #compdef line"
grep -q "'--seconds:stop this many seconds" <<<"$zsh_script" || fail "zsh options carry no descriptions"

# --version names the commit this checkout is at (and -dirty when it has changes).
version=$("$parley" --version)
head=$(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null)
if [ -n "$head" ]; then
  [[ $version == "parley "*" (commit "*"$head"*")" ]] || fail "--version says '$version', HEAD is $head"
fi
# Outside a git checkout the generator falls back to -DCOMMIT, else "unknown".
out=$(mktemp -d)
cmake -DSRC="$out" -DOUT="$out/v.cpp" -DVERSION=9.9.9 -P "$repo/cmake/git_version.cmake" >/dev/null 2>&1
grep -q 'kCommit = "unknown"' "$out/v.cpp" || fail "no 'unknown' fallback outside git: $(cat "$out/v.cpp")"
cmake -DSRC="$out" -DOUT="$out/v.cpp" -DVERSION=9.9.9 -DCOMMIT=abc123 -P "$repo/cmake/git_version.cmake" >/dev/null 2>&1
grep -q 'kCommit = "abc123"' "$out/v.cpp" || fail "-DCOMMIT is not used outside git"
rm -rf "$out"

[ "$fails" = 0 ] || exit 1
echo "PASS: completion and --version ($version)"
