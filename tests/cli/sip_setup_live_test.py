"""`parley sip setup` and `parley sip status` against the real livekit-server (+ Redis) of the
shared stack, with the official Python SDK as the independent reader and as the hand that breaks
the setup on purpose.

Each run uses its own trunk/rule names and a random number, and deletes what it made.
"""
import asyncio
import json
import os
import random
import subprocess

import pytest
from livekit import api

PARLEY = os.environ["PARLEY_BIN"]
URL, KEY, SECRET = "ws://127.0.0.1:7880", "devkey", "secret"
PASSWORD = "trunk-pass-" + str(random.randrange(10**9))
SUFFIX = str(random.randrange(10**6))
TRUNK, RULE, AGENT = "parley-test-in-" + SUFFIX, "parley-test-calls-" + SUFFIX, "parley-test-agent"
LOCAL = "".join(random.choice("0123456789") for _ in range(7))
SPELT = f"8 (495) {LOCAL[:3]}-{LOCAL[3:5]}-{LOCAL[5:]}"  # as an operator writes it
E164 = "+7495" + LOCAL


def sdk(coro_fn):
    async def go():
        lk = api.LiveKitAPI(URL.replace("ws://", "http://"), KEY, SECRET)
        try:
            return await coro_fn(lk)
        finally:
            await lk.aclose()
    return asyncio.run(go())


def server_state():
    async def get(lk):
        trunks = (await lk.sip.list_inbound_trunk(api.ListSIPInboundTrunkRequest())).items
        rules = (await lk.sip.list_dispatch_rule(api.ListSIPDispatchRuleRequest())).items
        return [t for t in trunks if t.name == TRUNK], [r for r in rules if r.name == RULE]
    return sdk(get)


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    path = tmp_path_factory.mktemp("sip") / "parley.yaml"
    path.write_text(f"""
livekit: {{url: {URL}, api_key: {KEY}}}
agent: {{agent_name: {AGENT}}}
sip:
  inbound_trunk:
    name: {TRUNK}
    numbers: ["{SPELT}"]
    allowed_addresses: [203.0.113.0/24]
    auth_username: provider-user
  dispatch_rule: {{name: {RULE}, room_prefix: test-call-}}
""")
    yield str(path)

    async def clean(lk):  # whatever this run left, found by its names
        for r in (await lk.sip.list_dispatch_rule(api.ListSIPDispatchRuleRequest())).items:
            if r.name == RULE:
                await lk.sip.delete_dispatch_rule(api.DeleteSIPDispatchRuleRequest(sip_dispatch_rule_id=r.sip_dispatch_rule_id))
        for t in (await lk.sip.list_inbound_trunk(api.ListSIPInboundTrunkRequest())).items:
            if t.name == TRUNK:
                await lk.sip.delete_trunk(api.DeleteSIPTrunkRequest(sip_trunk_id=t.sip_trunk_id))
    sdk(clean)
    assert server_state() == ([], [])


def parley(config, *args, password=PASSWORD):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIVEKIT_", "PARLEY_"))}
    env["LIVEKIT_API_SECRET"] = SECRET
    if password is not None:
        env["PARLEY_SIP_AUTH_PASSWORD"] = password
    proc = subprocess.run([PARLEY, "--config", config, "--log-level", "trace", *args], env=env,
                          capture_output=True, text=True, timeout=60)
    # The trunk password reaches the server and nothing else: not the output, not the logs.
    assert PASSWORD not in proc.stdout + proc.stderr
    return proc


def setup_json(config, *args):
    proc = parley(config, "--json", "sip", "setup", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def status_json(config, *args, password=PASSWORD):
    proc = parley(config, "--json", "sip", "status", *args, password=password)
    assert proc.returncode in (0, 1), proc.stderr
    out = json.loads(proc.stdout)
    assert (proc.returncode == 0) == out["ok"]
    return out


def test_1_setup_on_an_empty_server_creates(config):
    assert server_state() == ([], [])
    out = setup_json(config)
    assert out["trunk"]["action"] == "created" and out["dispatch_rule"]["action"] == "created", out
    trunks, rules = server_state()
    assert len(trunks) == 1 and len(rules) == 1
    t, r = trunks[0], rules[0]
    assert t.sip_trunk_id == out["trunk"]["id"] and r.sip_dispatch_rule_id == out["dispatch_rule"]["id"]
    assert list(t.numbers) == [E164]  # normalised from the national spelling
    assert list(t.allowed_addresses) == ["203.0.113.0/24"]
    assert t.auth_username == "provider-user" and t.auth_password == PASSWORD
    assert r.rule.WhichOneof("rule") == "dispatch_rule_individual"
    assert r.rule.dispatch_rule_individual.room_prefix == "test-call-"
    assert list(r.trunk_ids) == [t.sip_trunk_id]
    assert [a.agent_name for a in r.room_config.agents] == [AGENT]
    assert status_json(config)["ok"]


def test_2_second_run_is_unchanged(config):
    before = server_state()
    out = setup_json(config)
    assert out["trunk"]["action"] == "unchanged" and out["dispatch_rule"]["action"] == "unchanged", out
    assert server_state() == before
    text = parley(config, "sip", "setup")
    assert text.returncode == 0
    assert f"inbound trunk '{TRUNK}' ({before[0][0].sip_trunk_id}): unchanged" in text.stdout, text.stdout


def test_3_changed_number_updates_the_same_trunk(config):
    (t0,), _ = server_state()
    new = "+7 (495) " + LOCAL[:6] + str((int(LOCAL[6]) + 1) % 10)
    want = "+7495" + LOCAL[:6] + str((int(LOCAL[6]) + 1) % 10)
    out = setup_json(config, "--set", f"sip.inbound_trunk.numbers=[{new}]")
    assert out["trunk"]["action"] == "updated" and out["trunk"]["id"] == t0.sip_trunk_id, out
    assert out["trunk"]["changes"] == [f"numbers [{E164}] -> [{want}]"]
    assert out["dispatch_rule"]["action"] == "unchanged"
    (t1,), (r1,) = server_state()
    assert list(t1.numbers) == [want]
    assert t1.auth_password == PASSWORD and list(t1.allowed_addresses) == ["203.0.113.0/24"]  # untouched
    # The configuration still says the old number: status names the difference, setup puts it back.
    status = status_json(config)
    assert not status["ok"]
    assert any(f"lacks [{E164}]" in m["message"] for m in status["mismatches"]), status
    assert setup_json(config)["trunk"]["action"] == "updated"


def test_4_status_names_a_deliberately_mismatched_rule(config):
    _, (r,) = server_state()

    async def break_it(lk):  # another agent and a callee rule, as a hand-made change would
        broken = api.SIPDispatchRuleInfo()
        broken.CopyFrom(r)
        broken.rule.CopyFrom(api.SIPDispatchRule(dispatch_rule_callee=api.SIPDispatchRuleCallee(room_prefix="x-")))
        del broken.room_config.agents[:]
        broken.room_config.agents.add(agent_name="someone-else")
        await lk.sip.update_dispatch_rule(r.sip_dispatch_rule_id, broken)
    sdk(break_it)
    status = status_json(config)
    messages = [m["message"] for m in status["mismatches"]]
    assert not status["ok"]
    assert any("dispatches agent [someone-else], not parley's 'parley-test-agent'" in m for m in messages), messages
    assert any("is a callee rule, not an individual room per caller" in m for m in messages), messages
    assert all(m["fix"] for m in status["mismatches"])
    text = parley(config, "sip", "status")
    assert text.returncode == 1 and "fix: parley sip setup" in text.stdout, text.stdout

    out = setup_json(config)
    assert out["dispatch_rule"]["action"] == "updated" and out["dispatch_rule"]["id"] == r.sip_dispatch_rule_id, out
    (_,), (fixed,) = server_state()
    assert [a.agent_name for a in fixed.room_config.agents] == [AGENT]
    assert fixed.rule.dispatch_rule_individual.room_prefix == "test-call-"
    assert status_json(config)["ok"]


def test_5_auth_on_one_side_only_and_a_changed_password(config):
    # The operator dropped auth from the configuration: status says the trunk still asks for it.
    status = status_json(config, "--set", "sip.inbound_trunk.auth_username=", password=None)
    assert any("asks callers for digest auth" in m["message"] for m in status["mismatches"]), status
    out = setup_json(config)  # same configuration: unchanged
    assert out["trunk"]["action"] == "unchanged"
    proc = parley(config, "--json", "sip", "setup", password="another-password-1")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["trunk"]["changes"] == ["auth password changed"]
    assert "another-password-1" not in proc.stdout + proc.stderr
    (t1,), _ = server_state()
    assert t1.auth_password == "another-password-1"
    assert setup_json(config)["trunk"]["changes"] == ["auth password changed"]


def test_6_bad_configuration_is_exit_2_naming_the_key(config):
    proc = parley(config, "sip", "setup", "--set", "sip.inbound_trunk.numbers=[495 123-45-67]")
    assert proc.returncode == 2
    assert "sip.inbound_trunk.numbers" in proc.stderr and "no country code" in proc.stderr, proc.stderr
    proc = parley(config, "sip", "setup", "--set", "sip.inbound_trunk.allowed_addresses=[sip.provider.example]")
    assert proc.returncode == 2 and "sip.inbound_trunk.allowed_addresses" in proc.stderr, proc.stderr
    proc = parley(config, "sip", "setup", "--set", "sip.inbound_trunk.numbers=[]", "--set",
                  "sip.inbound_trunk.allowed_addresses=[]", "--set", "sip.inbound_trunk.auth_username=", password=None)
    assert proc.returncode == 2 and "sip.inbound_trunk has no numbers" in proc.stderr, proc.stderr


def test_7_numbers_on_the_command_line_are_normalised_too(config):
    proc = parley(config, "--json", "sip", "trunk", "create", "--name", TRUNK + "-cli", "--number", "8 (916) " + LOCAL,
                  "--allowed-address", "198.51.100.1")
    assert proc.returncode == 0, proc.stderr
    made = json.loads(proc.stdout)["sip_trunk_id"]
    try:
        async def get(lk):
            return [t for t in (await lk.sip.list_inbound_trunk(api.ListSIPInboundTrunkRequest())).items if t.sip_trunk_id == made]
        (t,) = sdk(get)
        assert list(t.numbers) == ["+7916" + LOCAL]
    finally:
        assert parley(config, "sip", "trunk", "delete", made).returncode == 0
    bad = parley(config, "sip", "trunk", "create", "--name", "x", "--number", "916 " + LOCAL)
    assert bad.returncode == 2 and "no country code" in bad.stderr, bad.stderr
