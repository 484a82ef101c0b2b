#!/usr/bin/env python3
"""The layers of src/ (docs/architecture.md) include only downward: each folder may include the
folders listed for it here and nothing else, so no include runs upward and there are no cycles.
A new dependency between layers is a design decision: make it here, on purpose, with the docs."""
import os
import re
import sys

ALLOWED = {
    "core": set(),
    "net": {"core"},
    "media": {"core"},
    "livekit/proto": set(),
    "livekit/auth": {"core"},
    "livekit/api": {"core", "net", "media", "livekit/auth", "livekit/proto"},
    "livekit/webhook": {"core", "livekit/auth"},
    "livekit/signal": {"core", "net", "media", "livekit/proto"},
    "livekit/rtc": {"core", "media"},
    "livekit/room": {"core", "media", "livekit/proto", "livekit/rtc", "livekit/signal", "livekit/auth"},
    "livekit/worker": {"core", "livekit/auth", "livekit/proto", "livekit/signal"},
    "providers": {"core", "net", "media"},
    "voice": {"core", "media", "providers"},
    "agent": {"core", "media", "providers", "voice", "livekit"},
    "service": {"core", "media", "agent", "livekit"},
    "diagnose": {"core", "media", "livekit"},
    "console": {"core", "media", "voice", "agent", "service", "livekit"},
    "cli": {"core", "media", "livekit", "providers", "voice", "agent", "service", "diagnose", "console"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(path):
    """The most specific layer in ALLOWED that holds `path` (relative to src/), or None."""
    best = None
    for layer in ALLOWED:
        if path == layer or path.startswith(layer + "/"):
            if best is None or len(layer) > len(best):
                best = layer
    return best


def allowed(src_layer, dst_layer):
    if dst_layer == src_layer:
        return True
    for a in ALLOWED[src_layer]:
        if dst_layer == a or dst_layer.startswith(a + "/"):
            return True
    return False


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
    problems, files = [], 0
    for root, _, names in os.walk(src):
        for name in names:
            if not name.endswith((".h", ".cpp")):
                continue
            files += 1
            path = os.path.relpath(os.path.join(root, name), src)
            me = layer_of(path)
            if me is None:
                if os.path.dirname(path):
                    problems.append(f"{path}: in no known layer (add its folder to tests/layering_test.py)")
                continue
            with open(os.path.join(root, name), encoding="utf-8") as f:
                text = f.read()
            for inc in INCLUDE.findall(text):
                if not os.path.exists(os.path.join(src, inc)):
                    continue  # a generated header (protobuf) or one next to the file
                dst = layer_of(inc)
                if dst is not None and not allowed(me, dst):
                    problems.append(f"{path}: includes {inc} ({me} may use only {sorted(ALLOWED[me]) or 'nothing'})")
    for p in problems:
        print(p)
    print(f"{files} files checked, {len(problems)} includes against the layering")
    if files == 0:
        print("no sources found under " + src)
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
