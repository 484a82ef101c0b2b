"""The phone harness itself (scripts/sip_phone.py), phone to phone on loopback without a stack:
a call rings, is answered (by hand or automatically), carries speech both ways on G.722 and on
PCMU at their own rates, carries RFC 4733 keys, and a hang-up reaches the other phone as a BYE."""
import numpy as np
import pytest

from sip_phone import Phone, PhoneError, rms

RATE = 16000


def tone(freq, seconds=1.0, level=8000):
    t = np.arange(int(RATE * seconds)) / RATE
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def dominant_freq(pcm, rate):
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64)))
    return np.fft.rfftfreq(len(pcm), 1 / rate)[int(np.argmax(spectrum))]


@pytest.fixture
def phones(tmp_path):
    made = []

    def make(name, **kw):
        p = Phone(name, workdir=str(tmp_path / name), **kw).start()
        made.append(p)
        return p
    yield make
    for p in made:
        p.stop()


@pytest.mark.parametrize("codec,rate", [("G722", 16000), ("PCMU", 8000)])
def test_a_call_carries_speech_keys_and_bye(phones, codec, rate):
    bob = phones("bob", auto_answer=True, codecs=(codec,))
    alice = phones("alice", user="+15550001", codecs=(codec,))
    invited = alice.dial(f"sip:bob@127.0.0.1:{bob.sip_port}")
    answered, _ = alice.wait_event("CALL_ESTABLISHED", 10)
    bob.wait_event("CALL_ESTABLISHED", 5)   # on the ACK, a moment after alice saw the 200 OK
    assert 0 < answered - invited < 5

    # Speech both ways, at the codec's rate, with arrival times.
    mark = bob.heard_samples()
    _, said = alice.say(tone(440))
    first = bob.wait_for_sound(5, start_sample=mark)
    end = bob.wait_for_silence(5, first, seconds=0.5)
    heard, got_rate = bob.recording()
    assert got_rate == rate
    assert 0.9 < (end - first) / rate < 1.2, f"a 1 s tone was heard for {(end - first) / rate:.2f}s"
    assert abs(dominant_freq(heard[first:end], rate) - 440) < 10
    assert -0.2 < bob.heard_at(first) - (said - 1.0) < 0.5, "the tone arrived long after it was sent"
    mark = alice.heard_samples()
    bob.say(tone(1000, 0.5))
    first = alice.wait_for_sound(5, start_sample=mark)
    assert abs(dominant_freq(alice.recording()[0][first:first + rate // 4], rate) - 1000) < 10

    # Keys: RFC 4733 events reach the other phone.
    at = bob.mark()
    alice.send_dtmf("5")
    _, ev = bob.wait_event("CALL_DTMF_START", 5, after=at)
    assert ev.get("param") == "5"

    # Hang-up: the other phone gets a BYE.
    alice.hangup()
    _, ev = bob.wait_event("CALL_CLOSED", 5)
    assert ev.get("param") == "Connection reset by peer"
    assert alice.find_event("CALL_CLOSED")[1].get("param") == "Connection reset by user"


def test_manual_answer_and_a_refused_call(phones):
    carol = phones("carol")   # answers only when told to
    alice = phones("alice", user="+15550001")
    alice.dial(f"sip:carol@127.0.0.1:{carol.sip_port}")
    carol.wait_event("CALL_INCOMING", 5)
    alice.wait_event("CALL_RINGING", 5)
    assert not alice.find_event("CALL_ESTABLISHED")
    carol.accept()
    alice.wait_event("CALL_ESTABLISHED", 5)
    assert rms(alice.recording()[0]) < 300, "nothing was said yet"
    alice.hangup()
    carol.wait_event("CALL_CLOSED", 5)

    # A call to a port where nobody listens closes with an error, and wait_event says so.
    at = alice.mark()
    alice.dial("sip:nobody@127.0.0.1:9;transport=tcp")   # refused at once
    with pytest.raises(PhoneError, match="CALL_CLOSED"):
        alice.wait_event("CALL_ESTABLISHED", 10, after=at)


def test_a_phone_whose_control_port_is_taken_starts_on_other_ports(phones, monkeypatch):
    """Ports are free when chosen but can be taken before baresip binds them (ten phones starting
    at once once shared a control port: one phone then drove the other's baresip). A phone must
    notice, start again on new ports, and be in control of its own baresip."""
    import sip_phone
    first = phones("first")
    taken = first.ctrl_port
    real_free_ports = sip_phone.free_ports
    calls = []

    def collide_once(count):
        calls.append(count)
        ports = real_free_ports(count)
        return [ports[0], taken] if len(calls) == 1 else ports
    monkeypatch.setattr(sip_phone, "free_ports", collide_once)
    second = phones("second", user="+15550002")
    assert len(calls) == 2, "the first ports were refused"
    assert second.ctrl_port != taken
    assert f"sip:+15550002@127.0.0.1:{second.sip_port}" in second.command("reginfo")
    assert "sip:+15550002@" not in first.command("reginfo")
