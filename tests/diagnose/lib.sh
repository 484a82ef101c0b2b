# Shared by the diagnose scenario tests (sourced): a stack of the test's own in its private
# network namespace and run folder, and checks of `parley diagnose --json` / `--call --json`.
# Needs $parley, $repo and $run set; counts failed expectations in $failures.
export PARLEY_RUN_DIR=$run
export LIVEKIT_URL=ws://127.0.0.1:7880 LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET=secret
unset PARLEY_CONFIG PARLEY_CLOCK_SKEW
failures=0

up() { bash "$repo/scripts/stack.sh" up >/dev/null 2>"$run/up.log" || { echo "FAIL: stack up"; cat "$run/up.log"; exit 1; }; }
down() { bash "$repo/scripts/stack.sh" down >/dev/null 2>&1; }

# expect NAME FAILING_CHECK FIX_SUBSTRING [parley args...]: runs diagnose --json and checks that
# exactly FAILING_CHECK failed (every check before it passed or warned, or is skippable) and that its fix or
# detail names FIX_SUBSTRING; FAILING_CHECK "none": nothing failed and nothing was skipped
# (but the checks named in $EXPECT_SKIPPABLE, default "webhook sip_call agent_worker": agent_worker
# runs only with agent.dispatch: worker).
expect() {
  local name=$1 check=$2 fix=$3; shift 3
  local out rc
  out=$("$parley" diagnose --json "$@" 2>"$run/stderr")
  rc=$?
  if ! python3 - "$check" "$fix" "$rc" "$out" "${EXPECT_SKIPPABLE:-webhook sip_call agent_worker}" <<'PY'
import json, sys
check, fix, rc, out, skippable = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5].split()
report = json.loads(out)
checks = report["checks"]
fails = [c for c in checks if c["status"] == "fail"]
problems = []
if check == "none":
    if fails: problems.append(f"expected no failure, got {[c['check'] for c in fails]}")
    if rc != 0: problems.append(f"exit code {rc}, expected 0")
    bad = [c["check"] for c in checks if c["status"] == "skip" and c["check"] not in skippable]
    if bad: problems.append(f"skipped on a healthy stack: {bad}")
    # parley really joined a room: the signal check names each step it timed.
    sig = [c for c in checks if c["check"] == "signal_ice"]
    if not sig or sig[0]["status"] != "pass" or not all(w in sig[0]["detail"] for w in ("signal open", "joined", "ICE connected", "left in")):
        problems.append(f"signal_ice did not pass with its step timings: {sig}")
    if fix:
        hit = [c for c in checks if fix in c["detail"]]
        if not hit: problems.append(f"'{fix}' in no check's detail")
else:
    if [c["check"] for c in fails] != [check]:
        problems.append(f"expected exactly '{check}' to fail, got {[c['check'] for c in fails]}")
    else:
        f = fails[0]
        if fix not in f["fix"] and fix not in f["detail"]:
            problems.append(f"'{fix}' not in the fix/detail: {f['detail']} / {f['fix']}")
        before = checks[:checks.index(f)]
        if any(c["status"] not in ("pass", "warn") and not (c["status"] == "skip" and c["check"] in skippable)
               for c in before):
            problems.append(f"a check before '{check}' did not pass: {[(c['check'], c['status']) for c in before]}")
        after = checks[checks.index(f) + 1:]
        if any(c["status"] == "fail" for c in after):
            problems.append("a later check failed too")
    if rc != 1: problems.append(f"exit code {rc}, expected 1")
for c in checks:
    for k in ("check", "status", "detail", "fix"):
        if k not in c: problems.append(f"{c.get('check')} lacks '{k}'")
if problems:
    print("\n".join(problems)); print(json.dumps(report, indent=1)); sys.exit(1)
PY
  then
    echo "FAIL: $name"; cat "$run/stderr"; failures=$((failures + 1))
  else
    echo "ok: $name ($check)"
  fi
}
