"""Schema checks shared by the wire-compatibility tests of parley's own .proto subsets
(LiveKit's, Yandex SpeechKit's): every message field and enum value parley declares must exist
upstream, in the official descriptor pool, with the same name, number, type, cardinality and
oneof. The parley side is a codec tool (tests/support/proto_codec.h) named by PARLEY_PROTO_TOOL."""
import os
import subprocess

from google.protobuf import descriptor_pb2


def run_tool(*args, data=b""):
    """Runs the codec tool (PARLEY_PROTO_TOOL) and returns its output."""
    proc = subprocess.run([os.environ.get("PARLEY_PROTO_TOOL", ""), *args], input=data, capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


def parley_descriptor_files():
    """parley's .proto files as the codec tool's generated classes describe them."""
    fds = descriptor_pb2.FileDescriptorSet()
    fds.ParseFromString(run_tool("descriptors"))
    return fds.file


def walk_messages(prefix, messages):
    for m in messages:
        full = f"{prefix}.{m.name}"
        yield full, m
        yield from walk_messages(full, m.nested_type)


def walk_enums(prefix, enums, messages):
    for e in enums:
        yield f"{prefix}.{e.name}", e
    for m in messages:
        yield from walk_enums(f"{prefix}.{m.name}", m.enum_type, m.nested_type)


def check_fields(official, package, parley_file):
    """Asserts every field of parley_file's messages against `official`; returns how many."""
    checked = 0
    for full, msg in walk_messages(package, parley_file.message_type):
        off = official.FindMessageTypeByName(full)
        off_fields = {fd.number: fd for fd in off.fields}
        for field in msg.field:
            where = f"{full}.{field.name} = {field.number}"
            assert field.number in off_fields, f"{where} is not upstream"
            o = off_fields[field.number]
            assert o.name == field.name, f"{where}: upstream calls it {o.name}"
            assert o.type == field.type, f"{where}: type {field.type} != upstream {o.type}"
            assert o.is_repeated == (field.label == field.LABEL_REPEATED), f"{where}: cardinality"
            if field.type_name:
                upstream_type = (o.message_type or o.enum_type).full_name
                assert field.type_name.lstrip(".") == upstream_type, f"{where}: {field.type_name} != {upstream_type}"
            ours_oneof = msg.oneof_decl[field.oneof_index].name if field.HasField("oneof_index") else None
            theirs_oneof = o.containing_oneof.name if o.containing_oneof else None
            # proto3 `optional` is a synthetic oneof named _<field> on both sides.
            assert ours_oneof == theirs_oneof, f"{where}: oneof {ours_oneof} != upstream {theirs_oneof}"
            checked += 1
    return checked


def check_enum_values(official, package, parley_file):
    """Asserts every enum value of parley_file against `official`; returns how many."""
    checked = 0
    for full, enum in walk_enums(package, parley_file.enum_type, parley_file.message_type):
        off = official.FindEnumTypeByName(full)
        off_values = {v.name: v.number for v in off.values}
        for v in enum.value:
            assert v.name in off_values, f"{full}.{v.name} is not upstream"
            assert off_values[v.name] == v.number, f"{full}.{v.name} = {v.number} != upstream {off_values[v.name]}"
            checked += 1
    return checked
