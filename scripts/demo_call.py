"""The demo's phone call (scripts/demo.d/50-phone-call.sh): a real SIP phone (baresip, G.722)
dials a number on the local SIP bridge, hears parley's greeting, asks its questions (synthesised
with flite), and hangs up. It prints both sides of the conversation (what the agent understood and
said, from the room's lk.transcription streams; what the phone heard, recognised by pocketsphinx)
and the latencies on the phone's clock, and keeps the recordings in --out:

  demo_call.py --number +15550100100 --prefix call- --ask "what are your opening hours" --out DIR

Reads PARLEY_BIN (for `parley tts` and `parley stt`). Exit 0 when every question got an answer."""
import argparse
import os
import shutil
import sys

from parley_speech import recognise, synthesise
from sip_call import Number, PhoneCall
from sip_phone import PhoneError


def show(who, text):
    print(f"   {who:<7}: {text}", flush=True)


def fail(msg, fix):
    print(f"error: {msg}\n  fix: {fix}", file=sys.stderr, flush=True)
    sys.exit(1)


def converse(a):
    os.makedirs(a.out, exist_ok=True)
    questions = []
    for i, text in enumerate(a.ask, 1):
        path = os.path.join(a.out, f"question{i}.wav")
        questions.append((text, synthesise(text, path), path))
    number = Number(a.number, a.prefix)
    call = PhoneCall(number, caller=a.caller, workdir=os.path.join(a.out, "baresip"))
    obs = None
    try:
        show("phone", f"{a.caller} dials {number.uri} (G.722, 16 kHz wideband)")
        try:
            setup = call.dial(timeout=a.timeout)
        except (PhoneError, AssertionError) as e:
            fail(f"the call was not answered: {e}",
                 f"run `parley diagnose --call {a.number}` (inside scripts/netns.sh with the stack up); "
                 f"it names the step that failed. The phone's log: {call.phone.log_path}")
        obs = call.observer
        show("phone", f"answered (200 OK) {setup:.2f} s after the INVITE; room {call.room}")
        first, end = call.wait_greeting(a.timeout)
        pcm, rate = call.phone.recording()
        heard = recognise(pcm[first:end], rate, os.path.join(a.out, "greeting-heard.wav"))
        said = obs.agent_words()
        # The greeting starts as the call is answered, usually before the observer is in the room.
        show("agent", said[0].strip() if said else "(its greeting, begun before the observer joined the room)")
        show("phone", f"heard (pocketsphinx): \"{heard}\" - audible {call.greeting_heard - call.invited:.2f} s "
                      f"after the INVITE")
        latencies = []
        for i, (text, pcm, path) in enumerate(questions, 1):
            asked, answered = len(obs.caller_words()), len(obs.agent_words())
            show("caller", f"\"{text}\" (flite, {len(pcm) / 16000:.1f} s: {path})")
            r = call.ask(pcm, timeout=a.timeout)
            understood = obs.wait(lambda: len(obs.caller_words()) > asked and obs.caller_words()[asked], 10,
                                  f"the agent's transcript of question {i}")
            answer = obs.wait(lambda: len(obs.agent_words()) > answered and obs.agent_words()[answered], 10,
                              f"the agent's answer to question {i}")
            heard = recognise(r["audio"], r["rate"], os.path.join(a.out, f"answer{i}-heard.wav"))
            show("agent", f"(understood \"{understood.strip()}\")")
            show("agent", answer.strip())
            show("phone", f"heard (pocketsphinx): \"{heard}\"")
            show("phone", f"end of question -> answer audible: {r['latency']:.2f} s")
            latencies.append(r["latency"])
        call.hangup()
        call.phone.wait_event("CALL_CLOSED", 10)
        show("phone", "hung up")
        recording = call.phone.save_recording(os.path.join(a.out, "phone-heard.wav"))
        sent = [f for f in os.listdir(call.phone.dir) if f.startswith("dump-") and f.endswith("-enc.wav")]
        print("-- on the phone's clock:", flush=True)
        print(f"   INVITE -> 200 OK {setup:.2f} s; INVITE -> greeting audible "
              f"{call.greeting_heard - call.invited:.2f} s", flush=True)
        print("   end of question -> answer audible: " + ", ".join(f"{x:.2f} s" for x in latencies), flush=True)
        print("-- recordings:", flush=True)
        print(f"   what the phone heard (whole call, {call.phone.rate} Hz): {recording}", flush=True)
        if sent:
            out = shutil.copy(os.path.join(call.phone.dir, sorted(sent)[-1]), os.path.join(a.out, "phone-sent.wav"))
            print(f"   what the phone sent (its microphone, whole call): {out}", flush=True)
        print(f"   the questions as synthesised: {os.path.join(a.out, 'question*.wav')}; each answer as heard: "
              f"{os.path.join(a.out, 'answer*-heard.wav')}; baresip's log: {call.phone.log_path}", flush=True)
    finally:
        call.close()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--number", required=True, help="the number dialled (a number of parley's inbound trunk)")
    p.add_argument("--prefix", required=True, help="the dispatch rule's room prefix")
    p.add_argument("--caller", default="+15550001", help="the phone's own number (the SIP From user)")
    p.add_argument("--ask", action="append", required=True, help="a question to say (repeat for more)")
    p.add_argument("--out", required=True, help="folder for the recordings and the phone's files")
    p.add_argument("--timeout", type=float, default=30, help="seconds to wait for each step")
    a = p.parse_args()
    try:
        converse(a)
    except (PhoneError, AssertionError) as e:
        fail(f"the call went wrong: {e}",
             "see parley's log and the phone's log (baresip.log) in " + a.out + "; `parley diagnose --call "
             + a.number + "` checks the whole path step by step")


if __name__ == "__main__":
    main()
