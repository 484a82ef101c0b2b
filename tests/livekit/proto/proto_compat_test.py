"""Wire compatibility of parley's own .proto subset with LiveKit's official definitions.

The official side is the `livekit-protocol` Python package; parley's side is the C++ classes
protoc generated from src/livekit/proto, reached through proto_codec_tool (its path is in
PARLEY_PROTO_TOOL).

1. Schema: every message, field and enum value parley declares exists upstream with the same
   name, number, type and cardinality.
2. Wire: messages built with the official classes decode in C++ to the same values, and C++
   encodes the same values into bytes the official classes decode equal to the original.
"""
import os
import subprocess
import sys

import pytest
from google.protobuf import descriptor_pool, json_format
from livekit.protocol import agent, agent_dispatch, models, room, rtc, sip  # noqa: F401 (fills the official pool)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
from proto_compat import check_enum_values, check_fields, parley_descriptor_files, run_tool  # noqa: E402

TOOL = os.environ.get("PARLEY_PROTO_TOOL", "")
OFFICIAL = descriptor_pool.Default()


@pytest.fixture(scope="module")
def parley_files():
    files = parley_descriptor_files()
    names = [f.name for f in files]
    assert "livekit_rtc.proto" in names and "livekit_models.proto" in names and "livekit_sip.proto" in names
    assert "livekit_agent.proto" in names
    return files


def test_every_parley_message_matches_upstream(parley_files):
    assert all(f.package == "livekit" for f in parley_files)
    checked = sum(check_fields(OFFICIAL, "livekit", f) for f in parley_files)
    assert checked > 150, checked


def test_every_parley_enum_value_matches_upstream(parley_files):
    checked = sum(check_enum_values(OFFICIAL, "livekit", f) for f in parley_files)
    assert checked > 80, checked


def participant(identity, kind=models.ParticipantInfo.Kind.STANDARD):
    return models.ParticipantInfo(
        sid="PA_" + identity, identity=identity, state=models.ParticipantInfo.State.ACTIVE,
        tracks=[models.TrackInfo(sid="TR_a1", type=models.TrackType.AUDIO, name="mic", muted=True,
                                 source=models.TrackSource.MICROPHONE, mime_type="audio/opus", mid="1",
                                 disable_red=True, stereo=False, stream="s1", disable_dtx=True,
                                 audio_features=[models.AudioTrackFeature.TF_NO_DTX,
                                                 models.AudioTrackFeature.TF_ECHO_CANCELLATION])],
        metadata="{\"m\":1}", joined_at=1700000000, joined_at_ms=1700000000123, name="Name é", version=7,
        permission=models.ParticipantPermission(can_subscribe=True, can_publish=True, can_publish_data=True,
                                                hidden=False, recorder=True, agent=True, can_update_metadata=True,
                                                can_publish_sources=[models.TrackSource.MICROPHONE]),
        region="local", is_publisher=True, kind=kind, attributes={"sip.callID": "SCL_1", "a": "b"},
        disconnect_reason=models.DisconnectReason.DUPLICATE_IDENTITY)


ROOM = models.Room(sid="RM_x", name="room-1", empty_timeout=300, max_participants=9, creation_time=1700000000,
                   creation_time_ms=1700000000456, enabled_codecs=[models.Codec(mime="audio/opus", fmtp_line="a=b")],
                   metadata="meta", num_participants=2, active_recording=True, num_publishers=1, departure_timeout=20)

# What `parley sip setup` sends and `parley sip status` reads (livekit-protocol.md §5, §9).
PARLEY_RULE = sip.SIPDispatchRuleInfo(
    sip_dispatch_rule_id="SDR_1", rule=sip.SIPDispatchRule(dispatch_rule_individual=sip.SIPDispatchRuleIndividual(room_prefix="call-")),
    trunk_ids=["ST_1"], hide_phone_number=True, name="parley-calls", metadata="m", inbound_numbers=["+15550100"],
    attributes={"a": "b"}, numbers=["+74951234567"],
    room_config=room.RoomConfiguration(name="r", empty_timeout=30, departure_timeout=5, max_participants=3, metadata="rm",
                                       agents=[agent_dispatch.RoomAgentDispatch(agent_name="parley", metadata="x")]))
PARLEY_TRUNK = sip.SIPInboundTrunkInfo(sip_trunk_id="ST_1", name="parley-inbound", metadata="m", numbers=["+74951234567"],
                                       allowed_addresses=["203.0.113.0/24"], allowed_numbers=["+15550100"],
                                       auth_username="novofon", auth_password="pw")
SIP_SAMPLES = [
    PARLEY_RULE,
    sip.SIPDispatchRuleInfo(rule=sip.SIPDispatchRule(dispatch_rule_direct=sip.SIPDispatchRuleDirect(room_name="lobby", pin="1234"))),
    sip.SIPDispatchRuleInfo(rule=sip.SIPDispatchRule(dispatch_rule_callee=sip.SIPDispatchRuleCallee(room_prefix="c", randomize=True))),
    sip.CreateSIPDispatchRuleRequest(dispatch_rule=PARLEY_RULE),
    sip.UpdateSIPDispatchRuleRequest(sip_dispatch_rule_id="SDR_1", replace=PARLEY_RULE),
    sip.ListSIPDispatchRuleResponse(items=[PARLEY_RULE, PARLEY_RULE]),
    sip.CreateSIPInboundTrunkRequest(trunk=PARLEY_TRUNK),
    sip.ListSIPInboundTrunkResponse(items=[PARLEY_TRUNK]),
    sip.UpdateSIPInboundTrunkRequest(sip_trunk_id="ST_1", update=sip.SIPInboundTrunkUpdate(
        numbers=models.ListUpdate(set=["+74951234568"]), allowed_addresses=models.ListUpdate(clear=True),
        allowed_numbers=models.ListUpdate(add=["+1"], remove=["+2"]), auth_username="", auth_password="", name="n", metadata="m")),
    sip.UpdateSIPInboundTrunkRequest(sip_trunk_id="ST_1", update=sip.SIPInboundTrunkUpdate(numbers=models.ListUpdate(set=["+7"]))),
]

# What `parley serve` in worker mode sends and reads on /agent (agent-worker-protocol.md §2).
AGENT_JOB = agent.Job(id="AJ_1", dispatch_id="AD_1", type=agent.JobType.JT_ROOM, room=ROOM, metadata="{\"m\":1}",
                      agent_name="parley")
AGENT_SAMPLES = [
    agent.WorkerMessage(register=agent.RegisterWorkerRequest(
        type=agent.JobType.JT_ROOM, agent_name="parley", version="0.1.0", ping_interval=5,
        allowed_permissions=models.ParticipantPermission(can_subscribe=True, can_publish=True, can_publish_data=True,
                                                         hidden=False, can_update_metadata=True))),
    agent.WorkerMessage(availability=agent.AvailabilityResponse(
        job_id="AJ_1", available=True, participant_identity="parley-agent", participant_name="parley",
        participant_metadata="m", participant_attributes={"lk.agent.name": "parley"})),
    agent.WorkerMessage(availability=agent.AvailabilityResponse(job_id="AJ_2", available=False, terminate=True)),
    agent.WorkerMessage(update_worker=agent.UpdateWorkerStatus(status=agent.WorkerStatus.WS_FULL, load=1.0, job_count=3)),
    agent.WorkerMessage(update_worker=agent.UpdateWorkerStatus(load=0.25)),  # status absent stays absent
    agent.WorkerMessage(update_job=agent.UpdateJobStatus(job_id="AJ_1", status=agent.JobStatus.JS_FAILED, error="e")),
    agent.WorkerMessage(ping=agent.WorkerPing(timestamp=1700000000000)),
    agent.ServerMessage(register=agent.RegisterWorkerResponse(worker_id="AW_1", server_info=models.ServerInfo(
        version="1.13.5", protocol=16, node_id="ND_1", agent_protocol=1))),
    agent.ServerMessage(availability=agent.AvailabilityRequest(job=AGENT_JOB, resuming=True)),
    agent.ServerMessage(availability=agent.AvailabilityRequest(job=agent.Job(
        id="AJ_3", type=agent.JobType.JT_PUBLISHER, room=ROOM, participant=participant("sip_+15550100")))),
    agent.ServerMessage(assignment=agent.JobAssignment(job=AGENT_JOB, token="eyJ.x.y")),
    agent.ServerMessage(assignment=agent.JobAssignment(job=AGENT_JOB, url="ws://other:7880", token="eyJ.x.y")),
    agent.ServerMessage(termination=agent.JobTermination(job_id="AJ_1")),
    agent.ServerMessage(pong=agent.WorkerPong(last_timestamp=1700000000000, timestamp=1700000000005)),
]

SAMPLES = [
    rtc.SignalResponse(join=rtc.JoinResponse(
        room=ROOM, participant=participant("me"),
        other_participants=[participant("sip_+15550100", models.ParticipantInfo.Kind.SIP), participant("ag", models.ParticipantInfo.Kind.AGENT)],
        server_version="1.13.5", ice_servers=[rtc.ICEServer(urls=["stun:127.0.0.1:3478", "turn:x"], username="u", credential="c")],
        subscriber_primary=True, alternative_url="wss://alt", server_region="r",
        client_configuration=models.ClientConfiguration(resume_connection=models.ClientConfigSetting.DISABLED,
                                                          force_relay=models.ClientConfigSetting.ENABLED,
                                                          disabled_codecs=models.DisabledCodecs(codecs=[models.Codec(mime="video/h264")])),
        ping_timeout=15, ping_interval=5,
        server_info=models.ServerInfo(edition=models.ServerInfo.Edition.Cloud, version="1.13.5", protocol=17, region="r",
                                      node_id="ND_1", debug_info="d", agent_protocol=1),
        sif_trailer=b"\x00\x01\xff", enabled_publish_codecs=[models.Codec(mime="audio/opus")], fast_publish=True)),
    rtc.SignalResponse(answer=rtc.SessionDescription(type="answer", sdp="v=0\r\n", id=4, mid_to_track_id={"0": "TR_a"})),
    rtc.SignalResponse(offer=rtc.SessionDescription(type="offer", sdp="v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n", id=9)),
    rtc.SignalResponse(trickle=rtc.TrickleRequest(candidateInit='{"candidate":"candidate:1 1 udp 1 127.0.0.1 7882 typ host","sdpMid":"0","sdpMLineIndex":0}',
                                                   target=rtc.SignalTarget.SUBSCRIBER, final=True)),
    rtc.SignalResponse(update=rtc.ParticipantUpdate(participants=[participant("x"), participant("y")])),
    rtc.SignalResponse(track_published=rtc.TrackPublishedResponse(cid="track-1", track=participant("z").tracks[0])),
    rtc.SignalResponse(leave=rtc.LeaveRequest(can_reconnect=True, reason=models.DisconnectReason.SERVER_SHUTDOWN,
                                              action=rtc.LeaveRequest.Action.RECONNECT)),
    rtc.SignalResponse(mute=rtc.MuteTrackRequest(sid="TR_a", muted=True)),
    rtc.SignalResponse(speakers_changed=rtc.SpeakersChanged(speakers=[models.SpeakerInfo(sid="PA_a", level=0.5, active=True)])),
    rtc.SignalResponse(room_update=rtc.RoomUpdate(room=ROOM)),
    rtc.SignalResponse(refresh_token="eyJhbGciOiJIUzI1NiJ9.e30.sig"),
    rtc.SignalResponse(track_unpublished=rtc.TrackUnpublishedResponse(track_sid="TR_gone")),
    rtc.SignalResponse(pong=1700000000999),
    rtc.SignalResponse(reconnect=rtc.ReconnectResponse(ice_servers=[rtc.ICEServer(urls=["stun:a"])],
                                                       client_configuration=models.ClientConfiguration(resume_connection=models.ClientConfigSetting.ENABLED),
                                                       server_info=models.ServerInfo(version="1"), last_message_seq=42)),
    rtc.SignalResponse(pong_resp=rtc.Pong(last_ping_timestamp=1700000000001, timestamp=1700000000002)),
    rtc.SignalResponse(subscription_response=rtc.SubscriptionResponse(track_sid="TR_b", err=models.SubscriptionError.SE_TRACK_NOTFOUND)),
    rtc.SignalResponse(request_response=rtc.RequestResponse(request_id=3, reason=rtc.RequestResponse.Reason.NOT_ALLOWED, message="no")),
    rtc.SignalResponse(track_subscribed=rtc.TrackSubscribed(track_sid="TR_c")),
    rtc.SignalResponse(media_sections_requirement=rtc.MediaSectionsRequirement(num_audios=1, num_videos=2)),
    rtc.SignalRequest(offer=rtc.SessionDescription(type="offer", sdp="v=0\r\n", id=2)),
    rtc.SignalRequest(answer=rtc.SessionDescription(type="answer", sdp="v=0\r\n", id=3)),
    rtc.SignalRequest(trickle=rtc.TrickleRequest(candidateInit="{}", target=rtc.SignalTarget.PUBLISHER)),
    rtc.SignalRequest(add_track=rtc.AddTrackRequest(cid="tr-uuid", name="parley", type=models.TrackType.AUDIO, muted=False,
                                                    disable_dtx=True, source=models.TrackSource.MICROPHONE, sid="TR_old",
                                                    stereo=True, disable_red=True, stream="st",
                                                    audio_features=[models.AudioTrackFeature.TF_NO_DTX])),
    rtc.SignalRequest(mute=rtc.MuteTrackRequest(sid="TR_a", muted=True)),
    rtc.SignalRequest(subscription=rtc.UpdateSubscription(track_sids=["TR_1"], subscribe=True,
                                                          participant_tracks=[models.ParticipantTracks(participant_sid="PA_1", track_sids=["TR_1"])])),
    rtc.SignalRequest(leave=rtc.LeaveRequest(reason=models.DisconnectReason.CLIENT_INITIATED, action=rtc.LeaveRequest.Action.DISCONNECT)),
    rtc.SignalRequest(sync_state=rtc.SyncState(
        answer=rtc.SessionDescription(type="answer", sdp="a"), offer=rtc.SessionDescription(type="offer", sdp="o"),
        subscription=rtc.UpdateSubscription(track_sids=["TR_1"], subscribe=True),
        publish_tracks=[rtc.TrackPublishedResponse(cid="c", track=models.TrackInfo(sid="TR_p"))],
        data_channels=[rtc.DataChannelInfo(label="_reliable", id=1, target=rtc.SignalTarget.SUBSCRIBER)],
        track_sids_disabled=["TR_d"], datachannel_receive_states=[rtc.DataChannelReceiveState(publisher_sid="PA_p", last_seq=5)])),
    rtc.SignalRequest(ping=1700000000000),
    rtc.SignalRequest(update_metadata=rtc.UpdateParticipantMetadata(metadata="m", name="n", attributes={"k": "v"}, request_id=7)),
    rtc.SignalRequest(ping_req=rtc.Ping(timestamp=1700000000000, rtt=12)),
    rtc.SignalRequest(update_audio_track=rtc.UpdateLocalAudioTrack(track_sid="TR_a", features=[models.AudioTrackFeature.TF_STEREO])),
    models.ClientInfo(sdk=models.ClientInfo.SDK.CPP, version="0.1.0", protocol=17, os="linux", os_version="6", device_model="d",
                      browser="b", browser_version="1", address="a", network="wifi", other_sdks="o", client_protocol=1),
    models.DataPacket(kind=models.DataPacket.Kind.LOSSY, participant_identity="alice", destination_identities=["bob", "carol"],
                      user=models.UserPacket(payload=b"\x00hello\xff", topic="t", id="U1", start_time=1, end_time=2, nonce=b"n" * 16),
                      sequence=3, participant_sid="PA_a"),
    models.DataPacket(user=models.UserPacket(payload=b"")),  # topic unset stays unset
    models.DataPacket(sip_dtmf=models.SipDTMF(code=11, digit="#")),
    models.DataPacket(transcription=models.Transcription(transcribed_participant_identity="a", track_id="TR_a",
                                                         segments=[models.TranscriptionSegment(id="SG_1", text="hi", start_time=1, end_time=2, final=True, language="en")])),
    models.DataPacket(chat_message=models.ChatMessage(id="c1", timestamp=5, edit_timestamp=6, message="yo", deleted=True, generated=True)),
    models.DataPacket(stream_header=models.DataStream.Header(
        stream_id="s1", timestamp=1700000000000, topic="lk.transcription", mime_type="text/plain", total_length=0,
        attributes={"lk.transcribed_track_id": "TR_a", "lk.segment_id": "SG_1", "lk.transcription_final": "false"},
        text_header=models.DataStream.TextHeader(operation_type=models.DataStream.OperationType.UPDATE, version=2,
                                                 reply_to_stream_id="r", attached_stream_ids=["x"], generated=True),
        inline_content=b"abc", compression=models.DataStream.CompressionType.DEFLATE_RAW)),
    models.DataPacket(stream_header=models.DataStream.Header(stream_id="s2", topic="f", byte_header=models.DataStream.ByteHeader(name="a.bin"))),
    models.DataPacket(stream_chunk=models.DataStream.Chunk(stream_id="s1", chunk_index=3, content="héllo".encode(), version=1)),
    models.DataPacket(stream_trailer=models.DataStream.Trailer(stream_id="s1", reason="", attributes={"lk.transcription_final": "true"})),
] + SIP_SAMPLES + AGENT_SAMPLES


def sample_id(msg):
    which = msg.WhichOneof("message") if msg.DESCRIPTOR.oneofs_by_name.get("message") else None
    if which is None and msg.DESCRIPTOR.oneofs_by_name.get("value"):
        which = msg.WhichOneof("value")
    return f"{msg.DESCRIPTOR.name}.{which}" if which else msg.DESCRIPTOR.name


@pytest.mark.parametrize("msg", SAMPLES, ids=[sample_id(m) for m in SAMPLES])
def test_official_bytes_decode_in_parley(msg):
    parley_json = run_tool("decode", msg.DESCRIPTOR.full_name, data=msg.SerializeToString())
    back = type(msg)()
    json_format.Parse(parley_json, back)
    assert back == msg


@pytest.mark.parametrize("msg", SAMPLES, ids=[sample_id(m) for m in SAMPLES])
def test_parley_bytes_decode_officially(msg):
    parley_bytes = run_tool("encode", msg.DESCRIPTOR.full_name, data=json_format.MessageToJson(msg).encode())
    back = type(msg)()
    back.ParseFromString(parley_bytes)
    assert back == msg
    # Presence of proto3 optional fields (UserPacket.topic) survives the trip.
    if msg.DESCRIPTOR.name == "DataPacket" and msg.WhichOneof("value") == "user":
        assert back.user.HasField("topic") == msg.user.HasField("topic")
    # UpdateWorkerStatus.status and JobAssignment.url are proto3 optional: absent means "no change" / "your own URL".
    if msg.DESCRIPTOR.name == "WorkerMessage" and msg.WhichOneof("message") == "update_worker":
        assert back.update_worker.HasField("status") == msg.update_worker.HasField("status")
    if msg.DESCRIPTOR.name == "ServerMessage" and msg.WhichOneof("message") == "assignment":
        assert back.assignment.HasField("url") == msg.assignment.HasField("url")
    # An empty auth password is "remove it", not "leave it": its presence must survive too.
    if msg.DESCRIPTOR.name == "UpdateSIPInboundTrunkRequest":
        for field in ("auth_username", "auth_password", "name"):
            assert back.update.HasField(field) == msg.update.HasField(field), field


def test_garbage_is_rejected_by_parley():
    proc = subprocess.run([TOOL, "decode", "livekit.SignalResponse"], input=b"\x0a\xff\xff\xff\xff\x0f", capture_output=True)
    assert proc.returncode == 1
    assert b"parse failed" in proc.stderr
