"""The peer agent for bench/peer: LiveKit Agents (Python, from PyPI) with the engines parley embeds,
so that a side-by-side run measures the frameworks and not the models:

  - VAD: silero (its ONNX model ships in livekit-plugins-silero), loaded once per process;
  - STT: pocketsphinx (PyPI), the same en-us model files parley uses where Debian's
    pocketsphinx-en-us is installed, streamed: audio goes into the decoder while the caller
    speaks, and the framework's flush at the VAD's end of speech only finalises the utterance;
  - "LLM": parley's scripted dialogue (src/providers/llm/default_script.yaml), matched the way
    parley matches it, so both agents give the same answers word for word;
  - TTS: flite's cmu_us_kal16 voice (Debian's libflite, parley's voice), called through ctypes in a
    worker thread, one sentence at a time as the framework hands them over.

The framework's options are set for its best latency: 0.5 s endpointing (parley's wait) with the
VAD's end of speech at 0.3 s,
preemptive generation including TTS, VAD interruptions (no cloud model). Its load shedding is
off (the benchmark decides the load) and jobs run in its default process-per-job executor unless
PEER_EXECUTOR=thread.

  peer-venv/bin/python bench/peer/livekit_agents_peer.py start
Reads LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET, PEER_AGENT_NAME (default parley-peer)."""
import asyncio
import ctypes
import ctypes.util
import os
import queue
import re
import threading
import uuid

import numpy as np
import yaml
from livekit import rtc
from livekit.agents import (DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions, Agent, AgentServer,
                            AgentSession, JobContext, JobExecutorType, JobProcess, cli, llm, stt, tts)
from livekit.agents.types import NOT_GIVEN, NotGivenOr
from livekit.plugins import silero
from pocketsphinx import Decoder, get_model_path

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.environ.get("PEER_SCRIPT", os.path.join(HERE, "..", "..", "src", "providers", "llm", "default_script.yaml"))
GREETING = "Hello, you are speaking with parley. How can I help?"  # parley's agent.greeting.en
DEBIAN_MODEL = "/usr/share/pocketsphinx/model/en-us"
RATE = 16000


# ---- "LLM": parley's scripted dialogue ----
class Script:
    """Intent phrases matched as whole words (a trailing * matches any ending); the intent whose
    phrases cover the most words wins, the first on a tie; no match gives the default answer."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        self.default = doc["default"]["en"]
        self.intents = [(i["name"], [p.lower().split() for p in i["phrases"]["en"]], i["answer"]["en"])
                        for i in doc["intents"]]

    @staticmethod
    def _word_matches(pattern, word):
        return word.startswith(pattern[:-1]) if pattern.endswith("*") else word == pattern

    def answer(self, text):
        words = re.findall(r"[a-z']+", text.lower())
        best, best_covered = None, 0
        for _, phrases, answer in self.intents:
            covered = set()
            for phrase in phrases:
                for i in range(len(words) - len(phrase) + 1):
                    if all(self._word_matches(p, w) for p, w in zip(phrase, words[i:i + len(phrase)])):
                        covered.update(range(i, i + len(phrase)))
            if len(covered) > best_covered:
                best, best_covered = answer, len(covered)
        return best or self.default


class ScriptStream(llm.LLMStream):
    async def _run(self):
        said = next((m.text_content for m in reversed(self._chat_ctx.messages()) if m.role == "user"), "") or ""
        self._event_ch.send_nowait(llm.ChatChunk(
            id=uuid.uuid4().hex, delta=llm.ChoiceDelta(role="assistant", content=self._llm.script.answer(said))))


class ScriptLLM(llm.LLM):
    def __init__(self, script):
        super().__init__()
        self.script = script

    def chat(self, *, chat_ctx, tools=None, conn_options=DEFAULT_API_CONNECT_OPTIONS, **_):
        return ScriptStream(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)


# ---- STT: pocketsphinx, streamed ----
def new_decoder():
    model = DEBIAN_MODEL if os.path.exists(os.path.join(DEBIAN_MODEL, "en-us.lm.bin")) else get_model_path()
    # parley's search limits (providers.pocketsphinx.max_hmms_per_frame and max_words_per_frame)
    # and second pass (providers.pocketsphinx.second_pass, PEER_SECOND_PASS), so both search alike.
    return Decoder(hmm=os.path.join(model, "en-us"), lm=os.path.join(model, "en-us.lm.bin"),
                   dict=os.path.join(model, "cmudict-en-us.dict"), samprate=RATE, maxhmmpf=5000, maxwpf=10,
                   fwdflat=os.environ.get("PEER_SECOND_PASS", "yes") != "no", loglevel="FATAL")


class SphinxStream(stt.RecognizeStream):
    """Frames go to a decoding thread of the call's own as they arrive, so the decoder keeps up
    with the caller and never holds the event loop (it does not give up the GIL for long, but
    the interpreter switches threads every few ms); a flush ends the utterance and the final
    transcript comes back to the loop."""
    # Audio before the first frame with sound, kept so the utterance starts with its onset.
    LEAD_FRAMES = 30
    LEVEL = 100

    async def _run(self):
        loop = asyncio.get_running_loop()
        work = queue.SimpleQueue()
        thread = threading.Thread(target=self._decode, args=(loop, work), name="pocketsphinx", daemon=True)
        thread.start()
        try:
            async for item in self._input_ch:
                work.put(None if isinstance(item, self._FlushSentinel) else np.frombuffer(item.data, dtype=np.int16))
        finally:
            work.put(False)
            await asyncio.to_thread(thread.join)

    def _final(self, text):
        self._event_ch.send_nowait(stt.SpeechEvent(
            type=stt.SpeechEventType.FINAL_TRANSCRIPT,
            alternatives=[stt.SpeechData(language="en", text=text, confidence=1.0)]))

    def _decode(self, loop, work):
        decoder = self._stt.decoder
        lead, in_utt = [], False
        while (pcm := work.get()) is not False:
            if pcm is None:  # the framework's flush at the VAD's end of speech
                if in_utt:
                    decoder.end_utt()
                    hyp = decoder.hyp()
                    in_utt = False
                    if hyp and hyp.hypstr:
                        loop.call_soon_threadsafe(self._final, hyp.hypstr)
                lead.clear()
                continue
            if not in_utt:
                # Only audio with sound starts an utterance: the decoder is not fed the silence
                # between turns (parley starts its utterances at the VAD's speech onset too).
                lead.append(pcm)
                if len(lead) > self.LEAD_FRAMES:
                    lead.pop(0)
                if int(np.abs(pcm).max(initial=0)) < self.LEVEL:
                    continue
                decoder.start_utt()
                in_utt = True
                pcm = np.concatenate(lead)
                lead.clear()
            decoder.process_raw(pcm.tobytes(), False, False)
        if in_utt:
            decoder.end_utt()


class SphinxSTT(stt.STT):
    def __init__(self, decoder=None):
        super().__init__(capabilities=stt.STTCapabilities(streaming=True, interim_results=False,
                                                          offline_recognize=False, manual_flush=True))
        # One decoder per call (it holds one utterance at a time): the one the process loaded
        # while idle, or a new one (the thread executor runs several calls in one process).
        self.decoder = decoder or new_decoder()

    async def _recognize_impl(self, buffer, *, language=NOT_GIVEN, conn_options):
        raise NotImplementedError("streaming only")

    def stream(self, *, language: NotGivenOr[str] = NOT_GIVEN,
               conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS):
        return SphinxStream(stt=self, conn_options=conn_options, sample_rate=RATE)


# ---- TTS: flite through ctypes ----
class _Wave(ctypes.Structure):
    _fields_ = [("type", ctypes.c_char_p), ("sample_rate", ctypes.c_int), ("num_samples", ctypes.c_int),
                ("num_channels", ctypes.c_int), ("samples", ctypes.POINTER(ctypes.c_short))]


class Flite:
    def __init__(self):
        self.lib = ctypes.CDLL(ctypes.util.find_library("flite") or "libflite.so.1")
        kal = ctypes.CDLL(ctypes.util.find_library("flite_cmu_us_kal16") or "libflite_cmu_us_kal16.so.1")
        self.lib.flite_init()
        kal.register_cmu_us_kal16.restype = ctypes.c_void_p
        kal.register_cmu_us_kal16.argtypes = [ctypes.c_char_p]
        self.voice = kal.register_cmu_us_kal16(None)
        self.lib.flite_text_to_wave.restype = ctypes.POINTER(_Wave)
        self.lib.flite_text_to_wave.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
        self.lib.delete_wave.argtypes = [ctypes.POINTER(_Wave)]

    def synthesise(self, text):
        """(16-bit mono PCM bytes, rate); ctypes drops the GIL for the call."""
        w = self.lib.flite_text_to_wave(text.encode("ascii", "replace"), self.voice)
        try:
            return ctypes.string_at(w.contents.samples, w.contents.num_samples * 2), w.contents.sample_rate
        finally:
            self.lib.delete_wave(w)


class FliteChunks(tts.ChunkedStream):
    async def _run(self, output_emitter):
        pcm, rate = await asyncio.to_thread(self._tts.flite.synthesise, self.input_text)
        output_emitter.initialize(request_id=uuid.uuid4().hex, sample_rate=rate, num_channels=1,
                                  mime_type="audio/pcm", frame_size_ms=20)
        output_emitter.push(pcm)
        output_emitter.flush()


class FliteTTS(tts.TTS):
    def __init__(self, flite):
        super().__init__(capabilities=tts.TTSCapabilities(streaming=False), sample_rate=RATE, num_channels=1)
        self.flite = flite

    def synthesize(self, text, *, conn_options=DEFAULT_API_CONNECT_OPTIONS):
        return FliteChunks(tts=self, input_text=text, conn_options=conn_options)


# ---- the worker ----
def prewarm(proc: JobProcess):
    # End of speech after 0.3 s of silence: the transcript is flushed then, and the turn is taken
    # 0.5 s after the last speech (the endpointing delay below), parley's wait. The plugin's
    # default of 0.55 s would add 0.05 s to every turn and leave preemptive generation no time.
    proc.userdata["vad"] = silero.VAD.load(min_silence_duration=0.3)
    proc.userdata["decoder"] = new_decoder()
    proc.userdata["flite"] = Flite()
    proc.userdata["script"] = Script(SCRIPT)


server = AgentServer(
    job_executor_type=JobExecutorType.THREAD if os.environ.get("PEER_EXECUTOR") == "thread" else JobExecutorType.PROCESS,
    load_threshold=float("inf"), load_fnc=lambda: 0.0, setup_fnc=prewarm,
    num_idle_processes=int(os.environ.get("PEER_IDLE_PROCESSES", "2")), port=0)


@server.rtc_session(agent_name=os.environ.get("PEER_AGENT_NAME", "parley-peer"))
async def entrypoint(ctx: JobContext):
    await ctx.connect()
    u = ctx.proc.userdata
    session = AgentSession(
        vad=u["vad"], stt=SphinxSTT(u.pop("decoder", None)), llm=ScriptLLM(u["script"]), tts=FliteTTS(u["flite"]),
        turn_handling={"turn_detection": "vad", "endpointing": {"min_delay": 0.5},
                       "interruption": {"mode": "vad"},
                       "preemptive_generation": {"enabled": True, "preemptive_tts": True}},
        user_away_timeout=None)
    await session.start(agent=Agent(instructions="scripted"), room=ctx.room)
    session.say(GREETING)


if __name__ == "__main__":
    cli.run_app(server)
