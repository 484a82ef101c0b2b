"""Wire compatibility of parley's Yandex SpeechKit v3 .proto subset (src/providers/yandex_proto)
with Yandex's published definitions.

The official side is Yandex's own generated code in the `yandexcloud` Python package
(yandex/cloud/ai/stt/v3/stt_pb2.py, from github.com/yandex-cloud/cloudapi); parley's side is
the C++ classes protoc generated from its subset, reached through yandex_proto_codec_tool (its
path is in PARLEY_PROTO_TOOL).

1. Schema: every message, field and enum value parley declares exists upstream with the same
   name, number, type, cardinality and oneof; the service and method have the same full names.
2. Wire: every message parley sends, built in C++, decodes with the official classes to the
   same values; every message parley reads, built with the official classes (unknown-to-parley
   fields included), decodes in C++ to the same values.
"""
import json
import os
import sys

import pytest
from google.protobuf import descriptor_pool, json_format
from yandex.cloud.ai.stt.v3 import stt_pb2
from yandex.cloud.ai.tts.v3 import tts_pb2

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
from proto_compat import check_enum_values, check_fields, parley_descriptor_files, run_tool  # noqa: E402

OFFICIAL = descriptor_pool.Default()
PACKAGES = ["speechkit.stt.v3", "speechkit.tts.v3"]


@pytest.fixture(scope="module")
def parley_files():
    files = {f.package: f for f in parley_descriptor_files() if f.package in PACKAGES}
    assert sorted(files) == PACKAGES
    return files


def test_every_parley_message_field_matches_upstream(parley_files):
    checked = sum(check_fields(OFFICIAL, package, f) for package, f in parley_files.items())
    assert checked >= 77, checked  # every field of the subset


def test_every_parley_enum_value_matches_upstream(parley_files):
    checked = sum(check_enum_values(OFFICIAL, package, f) for package, f in parley_files.items())
    assert checked >= 23, checked  # every enum value of the subset


def test_the_services_and_methods_match_upstream(parley_files):
    # Upstream's services live in *_service.proto, whose imports (google.api annotations) are
    # not in the venv: compared with the documented full method paths.
    expected = {
        "speechkit.stt.v3": ("Recognizer", "RecognizeStreaming", True, True, "StreamingRequest", "StreamingResponse"),
        "speechkit.tts.v3": ("Synthesizer", "UtteranceSynthesis", False, True, "UtteranceSynthesisRequest",
                             "UtteranceSynthesisResponse"),
    }
    for package, (service, method_name, client_streaming, server_streaming, req, resp) in expected.items():
        [svc] = parley_files[package].service
        assert svc.name == service
        [method] = svc.method
        assert method.name == method_name
        assert method.client_streaming == client_streaming and method.server_streaming == server_streaming
        assert method.input_type == f".{package}.{req}" and method.output_type == f".{package}.{resp}"
    assert stt_pb2.DESCRIPTOR.package == "speechkit.stt.v3" and tts_pb2.DESCRIPTOR.package == "speechkit.tts.v3"


def session_options(rate, language="ru-RU"):
    return stt_pb2.StreamingRequest(session_options=stt_pb2.StreamingOptions(
        recognition_model=stt_pb2.RecognitionModelOptions(
            model="general",
            audio_format=stt_pb2.AudioFormatOptions(raw_audio=stt_pb2.RawAudio(
                audio_encoding=stt_pb2.RawAudio.LINEAR16_PCM, sample_rate_hertz=rate, audio_channel_count=1)),
            text_normalization=stt_pb2.TextNormalizationOptions(
                text_normalization=stt_pb2.TextNormalizationOptions.TEXT_NORMALIZATION_ENABLED,
                profanity_filter=True, literature_text=False),
            language_restriction=stt_pb2.LanguageRestrictionOptions(
                restriction_type=stt_pb2.LanguageRestrictionOptions.WHITELIST, language_code=[language, "en-US"]),
            audio_processing_type=stt_pb2.RecognitionModelOptions.REAL_TIME),
        eou_classifier=stt_pb2.EouClassifierOptions(default_classifier=stt_pb2.DefaultEouClassifier(
            type=stt_pb2.DefaultEouClassifier.HIGH, max_pause_between_words_hint_ms=600))))


SENT = [
    session_options(8000),
    session_options(16000),
    stt_pb2.StreamingRequest(session_options=stt_pb2.StreamingOptions(
        eou_classifier=stt_pb2.EouClassifierOptions(external_classifier=stt_pb2.ExternalEouClassifier()))),
    stt_pb2.StreamingRequest(chunk=stt_pb2.AudioChunk(data=bytes(range(256)) * 4)),
    stt_pb2.StreamingRequest(silence_chunk=stt_pb2.SilenceChunk(duration_ms=1000)),
    stt_pb2.StreamingRequest(eou=stt_pb2.Eou()),
]


def alternatives(*texts):
    return stt_pb2.AlternativeUpdate(alternatives=[
        stt_pb2.Alternative(words=[stt_pb2.Word(text=w, start_time_ms=10 * i, end_time_ms=10 * i + 9)
                                   for i, w in enumerate(t.split())],
                            text=t, start_time_ms=0, end_time_ms=1234, confidence=0.87,
                            languages=[stt_pb2.LanguageEstimation(language_code="ru-RU", probability=0.99)])
        for t in texts], channel_tag="0")


def response(**event):
    return stt_pb2.StreamingResponse(
        session_uuid=stt_pb2.SessionUuid(uuid="8f1c-uuid", user_request_id="req-1"),
        audio_cursors=stt_pb2.AudioCursors(received_data_ms=5000, reset_time_ms=0, partial_time_ms=4800,
                                           final_time_ms=4000, final_index=2, eou_time_ms=4100),
        response_wall_time_ms=1733360000123, channel_tag="0", **event)


RECEIVED = [
    response(partial=alternatives("добрый", "добрый день")),
    response(final=alternatives("добрый день, хочу забронировать столик")),
    response(eou_update=stt_pb2.EouUpdate(time_ms=4100)),
    response(final_refinement=stt_pb2.FinalRefinement(final_index=2, normalized_text=alternatives("Добрый день."))),
    response(status_code=stt_pb2.StatusCode(code_type=stt_pb2.WORKING, message="")),
    response(status_code=stt_pb2.StatusCode(code_type=stt_pb2.CLOSED, message="idle timeout")),
]



def strip_unknown(d):
    """The official JSON without the fields parley's subset leaves out."""
    if isinstance(d, dict):
        return {k: strip_unknown(v) for k, v in d.items() if k != "languages"
                and not (k == "channel_tag" and "alternatives" in d)}
    if isinstance(d, list):
        return [strip_unknown(v) for v in d]
    return d


def tts_request(text, rate, unsafe=False):
    return tts_pb2.UtteranceSynthesisRequest(
        model="", text=text,
        hints=[tts_pb2.Hints(voice="alena"), tts_pb2.Hints(role="good"), tts_pb2.Hints(speed=1.2),
               tts_pb2.Hints(volume=-3.0), tts_pb2.Hints(pitch_shift=50.0)],
        output_audio_spec=tts_pb2.AudioFormatOptions(raw_audio=tts_pb2.RawAudio(
            audio_encoding=tts_pb2.RawAudio.LINEAR16_PCM, sample_rate_hertz=rate)),
        loudness_normalization_type=tts_pb2.UtteranceSynthesisRequest.LUFS, unsafe_mode=unsafe)


SENT += [tts_request("Добрый день!", 8000), tts_request("Столик свободен. " * 20, 48000, unsafe=True)]

RECEIVED += [
    tts_pb2.UtteranceSynthesisResponse(audio_chunk=tts_pb2.AudioChunk(data=b"\x01\x00\xff\x7f" * 400),
                                       text_chunk=tts_pb2.TextChunk(text="Добрый"), start_ms=0, length_ms=100,
                                       word_timings=[tts_pb2.WordTiming(word="Добрый", start_ms=0, length_ms=80)]),
]


def strip_tts_unknown(d):
    """word_timings is not in parley's subset."""
    return {k: v for k, v in d.items() if k != "word_timings"}


def message_id(m):
    return m.WhichOneof("Event") if "Event" in m.DESCRIPTOR.oneofs_by_name else m.DESCRIPTOR.name


@pytest.mark.parametrize("msg", SENT, ids=message_id)
def test_what_parley_sends_round_trips_through_the_official_classes(msg):
    name = msg.DESCRIPTOR.full_name
    ours = run_tool("encode", name, data=json_format.MessageToJson(msg, preserving_proto_field_name=True).encode())
    assert ours == msg.SerializeToString()  # the same bytes (field order is by number on both sides)
    back = type(msg).FromString(ours)
    assert back == msg


@pytest.mark.parametrize("msg", RECEIVED, ids=message_id)
def test_what_parley_reads_decodes_to_the_same_values(msg):
    name = msg.DESCRIPTOR.full_name
    decoded = json.loads(run_tool("decode", name, data=msg.SerializeToString()))
    expected = strip_tts_unknown(strip_unknown(json.loads(json_format.MessageToJson(msg, preserving_proto_field_name=True))))
    assert decoded == expected
