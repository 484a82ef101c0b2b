"""Monitoring proven against Debian's real Prometheus, all on loopback in the test's network
namespace: Prometheus scrapes a `parley serve` that carries a real call on the local stack (the
official Python SDK as the caller) and a `parley diagnose --watch` textfile, evaluates the shipped
alert rules (deploy/prometheus/alerts.yml, with only their `for:` shortened) and answers every
expression of the Grafana dashboard (deploy/grafana/parley.json) through its HTTP API: each
parses, each panel returns data, every rule evaluates without error. Then parley's secret is made
wrong through a configuration reload, and ParleyLiveKitAuthRejected fires."""
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
import uuid

import pytest

from lk_caller import Caller
from serve_support import LIVEKIT_URL, PARLEY, Serve, delete_room, synthesise, wait_until

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
ALERTS = os.path.join(ROOT, "deploy", "prometheus", "alerts.yml")
DASHBOARD = os.path.join(ROOT, "deploy", "grafana", "parley.json")
AGENT = "parley-agent"
WRONG_SECRET = "not-the-servers-secret-0123456789abcdef"
# Metrics that a clean call need not produce: refusals, fallbacks, suspicious requests, and
# turn-taking events (interruptions, silence prompts). Every other parley metric an alert or a
# panel names must be in Prometheus after the call.
ABSENT_ON_A_CLEAN_CALL = {"parley_calls_refused_total", "parley_llm_fallbacks_total",
                          "parley_suspicious_requests_total", "parley_voice_events_total"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config_yaml(secret, interval="1s"):
    return (f"livekit:\n  url: {LIVEKIT_URL}\n  api_key: devkey\n  api_secret: {secret}\n"
            f"  health_check_interval: {interval}\n")


class Prometheus:
    """Debian's prometheus on 127.0.0.1, scraping every second and evaluating rules every second."""

    def __init__(self, workdir, targets, rule_file):
        self.port = free_port()
        cfg = os.path.join(workdir, "prometheus.yml")
        jobs = "".join(f"  - job_name: {job}\n    metrics_path: {path}\n    static_configs:\n"
                       f"      - targets: ['{target}']\n" for job, target, path in targets)
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    f"rule_files:\n  - {rule_file}\nscrape_configs:\n{jobs}")
        self.log = open(os.path.join(workdir, "prometheus.log"), "w")
        self.proc = subprocess.Popen(
            [shutil.which("prometheus") or "/usr/bin/prometheus", f"--config.file={cfg}",
             f"--storage.tsdb.path={os.path.join(workdir, 'tsdb')}", f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(lambda: self.ready(), 30, "prometheus /-/ready")

    def ready(self):
        assert self.proc.poll() is None, "prometheus exited: " + open(self.log.name).read()[-2000:]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def api(self, path, **params):
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:  # 400 bad_data for an expression that does not parse
            return json.load(e)

    def query(self, expr):
        return self.api("query", query=expr)

    def series(self, expr):
        r = self.query(expr)
        assert r["status"] == "success", f"{expr}: {r}"
        return r["data"]["result"]

    def firing(self, name):
        return [a for a in self.api("alerts")["data"]["alerts"]
                if a["labels"]["alertname"] == name and a["state"] == "firing"]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def test_rules_with_shortened_for(tmp_path):
    """The test copy of the rules differs from the shipped one only in its `for:` durations."""
    shipped = open(ALERTS).read()
    assert shortened(shipped) != shipped
    assert re.sub(r"for: \S+", "for:", shortened(shipped)) == re.sub(r"for: \S+", "for:", shipped)


def shortened(rules):
    return re.sub(r"(?m)^(\s+for: )\S+$", r"\g<1>2s", rules)


def panel_exprs():
    dash = json.load(open(DASHBOARD))
    return [(p["title"], t["expr"]) for p in dash["panels"] for t in p["targets"]]


def rule_exprs(prom):
    groups = prom.api("rules")["data"]["groups"]
    return [r for g in groups for r in g["rules"]]


async def one_call(room, workdir):
    question = synthesise("what are your opening hours", os.path.join(workdir, "q.wav"))
    caller = Caller(room, identity="pytest-caller", agent_identity=AGENT)
    await caller.join()
    try:
        await caller.wait_for(lambda: caller.agent_finals(), 30, "the greeting")
        answer = await caller.ask(question)
        assert answer["answer"].text.strip(), "the agent answered nothing"
    finally:
        await caller.hang_up()


def test_prometheus_scrapes_a_real_call_and_the_auth_alert_fires(tmp_path):
    workdir = str(tmp_path)
    started = time.monotonic()
    config = os.path.join(workdir, "parley.yaml")
    with open(config, "w") as f:
        f.write(config_yaml("secret"))
    serve = Serve("--set", "webhook.listen=127.0.0.1:8080", "--set", 'calls.room_patterns=["pytest-prom-*"]',
                  config_file=config, unset=("LIVEKIT_API_SECRET",))
    # diagnose --watch writes its metrics for node_exporter's textfile collector; a static file
    # server stands in for node_exporter here (the file is what it would serve).
    textfile_dir = os.path.join(workdir, "textfile")
    os.makedirs(textfile_dir)
    env = dict(os.environ, LIVEKIT_URL=LIVEKIT_URL, LIVEKIT_API_KEY="devkey", LIVEKIT_API_SECRET="secret")
    env.pop("PARLEY_CONFIG", None)
    diagnose = subprocess.Popen([PARLEY, "diagnose", "--watch", "2", "--out", os.path.join(textfile_dir, "parley.prom")],
                                env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    files_port = free_port()
    files = subprocess.Popen(["python3", "-m", "http.server", "--bind", "127.0.0.1", str(files_port)],
                             cwd=textfile_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rules = os.path.join(workdir, "alerts.yml")
    with open(rules, "w") as f:
        f.write(shortened(open(ALERTS).read()))
    prom = Prometheus(workdir, [("parley", f"127.0.0.1:{serve.port}", "/metrics"),
                                ("diagnose", f"127.0.0.1:{files_port}", "/parley.prom")], rules)
    room = "pytest-prom-" + uuid.uuid4().hex[:8]
    try:
        wait_until(lambda: serve.metric("parley_livekit_auth_ok") == 1, 15, "parley_livekit_auth_ok 1")
        serve.signal(signal.SIGHUP)  # an operator's reload of an unchanged file, for its panel
        wait_until(lambda: serve.find("configuration reloaded: unchanged"), 10, "the reload")
        asyncio.run(one_call(room, workdir))
        wait_until(lambda: serve.metric("parley_calls_active") == 0, 15, "the call to end")
        # Prometheus has it: a turn's latency and both scrape targets up (diagnose ran a round).
        wait_until(lambda: prom.series("parley_voice_end_to_end_latency_seconds_count > 0")
                   and prom.series("parley_call_jitter_seconds_count > 0")
                   and prom.series("parley_diagnose_check_status"), 30, "Prometheus to scrape the call and diagnose")
        assert {s["metric"]["job"]: s["value"][1] for s in prom.series("up")} == {"parley": "1", "diagnose": "1"}

        # Every dashboard expression parses and returns data (a counter that first appeared at
        # the call's end needs a second scrape before increase() has two samples).
        def empty_panels():
            empty = []
            for title, expr in panel_exprs():
                r = prom.query(expr)
                assert r["status"] == "success", f"panel {title!r}: {expr}: {r.get('error')}"
                if not r["data"]["result"]:
                    empty.append((title, expr))
            return empty
        deadline = time.monotonic() + 20
        while (empty := empty_panels()) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert empty == [], f"panels without data: {empty}"
        # Every alert rule parses (Prometheus loaded it) and evaluates without error, and no
        # alert fires on a healthy stack with a good call.
        loaded = rule_exprs(prom)
        shipped = re.findall(r"(?m)^\s+- alert: (\S+)$", open(ALERTS).read())
        assert sorted(r["name"] for r in loaded) == sorted(shipped)
        wait_until(lambda: all(r.get("lastEvaluation", "").startswith("2") and r["health"] == "ok"
                               for r in rule_exprs(prom)), 10, "every rule evaluated")
        for r in rule_exprs(prom):
            assert r["health"] == "ok", f"{r['name']}: {r.get('lastError')}"
            q = prom.query(r["query"])
            assert q["status"] == "success", f"{r['name']}: {q.get('error')}"
        # No alert fires on this stack with a good call, except the one that is right when the
        # local stack has no inbound SIP trunk (as diagnose --watch says), which must then fire.
        expected = []
        if prom.series('parley_diagnose_check_status{check="sip_trunks"} == 2'):
            expected = ["ParleySipNoTrunk"]
            wait_until(lambda: prom.firing("ParleySipNoTrunk"), 10, "ParleySipNoTrunk (the stack has no trunk)")
        firing = sorted({a["labels"]["alertname"] for a in prom.api("alerts")["data"]["alerts"] if a["state"] == "firing"})
        assert firing == expected, f"alerts firing on a healthy stack: {firing}"
        # Each parley metric an alert or a panel names is really exported, except failure-only ones.
        named = set(re.findall(r"\bparley_[a-z_]+", " ".join(e for _, e in panel_exprs()) + open(ALERTS).read()))
        named = {re.sub(r"_(bucket|count|sum)$", "", n) for n in named}
        missing = [n for n in sorted(named - ABSENT_ON_A_CLEAN_CALL)
                   if not prom.series(f'count({{__name__=~"{n}(_bucket|_count|_sum)?"}})')]
        assert missing == [], f"named in alerts or panels but not exported: {missing}"

        # parley's secret made wrong (a reload, as `systemctl reload parley` does): LiveKit
        # refuses the health check's credentials, and the auth alert fires.
        assert prom.firing("ParleyLiveKitAuthRejected") == []
        with open(config, "w") as f:
            f.write(config_yaml(WRONG_SECRET))
        serve.signal(signal.SIGHUP)
        wait_until(lambda: serve.metric("parley_livekit_auth_ok") == 0, 15, "parley_livekit_auth_ok 0")
        alert = wait_until(lambda: prom.firing("ParleyLiveKitAuthRejected"), 30, "ParleyLiveKitAuthRejected firing")
        assert alert[0]["labels"]["job"] == "parley"
        assert serve.find("LiveKit refuses parley's credentials"), "the refusal is logged"
        assert prom.firing("ParleyLiveKitUnreachable") == [], "the server is reachable; only the key is wrong"
        print(f"auth alert fired; whole test {time.monotonic() - started:.1f}s")
    finally:
        prom.stop()
        for p in (diagnose, files):
            p.terminate()
            p.wait(timeout=10)
        serve.stop()
        asyncio.run(delete_room(room))
