"""Garbage for a WebRTC media port: what an attacker on the path (or any host that learned the
port) can send. Each generator yields byte strings of one kind; `blast` sends them over UDP, also
with the source address forged to be the server's (raw socket), so they pass the ICE
source-address check and reach DTLS, SRTP and SCTP."""
import random
import socket
import struct
import time

MAGIC = 0x2112A442


def random_bytes(rng):
    return rng.randbytes(rng.choice([0, 1, 2, 3, 4, 11, 12, 13, 20, 100, 576, 1200, 1500, 4000, 65000]))


def stun(rng):
    """STUN headers with a valid magic cookie: truncated bodies, lengths that lie, attributes
    that run past the end, a MESSAGE-INTEGRITY / FINGERPRINT that cannot verify."""
    mtype = rng.choice([0x0001, 0x0101, 0x0111, 0x0011, 0x0003, 0xFFFF & rng.getrandbits(14)])
    tid = rng.randbytes(12)
    attrs = b""
    for _ in range(rng.randrange(0, 6)):
        atype = rng.choice([0x0006, 0x0008, 0x8028, 0x0020, 0x0024, 0x8029, 0x802A, 0x0025, 0x0009, rng.getrandbits(16)])
        body = rng.randbytes(rng.randrange(0, 40))
        alen = rng.choice([len(body), 0xFFFF, len(body) + 100, 0])
        attrs += struct.pack("!HH", atype, alen) + body
    length = rng.choice([len(attrs), 0xFFFF, len(attrs) + 4, 3])
    msg = struct.pack("!HHI", mtype, length, MAGIC) + tid + attrs
    return msg[: rng.choice([len(msg), 20, 19, 8, 4, len(msg) - 1])]


def rtp(rng):
    """RTP with every CSRC, an extension header that claims 256 KiB, padding that eats more than
    the packet, or nothing after the header."""
    cc = rng.choice([0, 15])
    first = 0x80 | rng.choice([0x00, 0x10, 0x20, 0x30]) | cc
    pt = rng.choice([111, 0, 127 | 0x80, rng.getrandbits(8)])
    hdr = struct.pack("!BBHII", first, pt, rng.getrandbits(16), rng.getrandbits(32), rng.getrandbits(32))
    hdr += rng.randbytes(4 * cc)[: rng.choice([4 * cc, 2])]
    if first & 0x10:
        hdr += struct.pack("!HH", rng.choice([0xBEDE, 0x1000, 0]), rng.choice([0xFFFF, 1, 0]))
    body = rng.randbytes(rng.randrange(0, 60))
    if first & 0x20:
        body += bytes([255])
    return hdr + body


def rtcp(rng):
    """RTCP (SR, RR, SDES, BYE, NACK, PLI, XR…) whose length words point past the packet."""
    pt = rng.choice([200, 201, 202, 203, 204, 205, 206, 207])
    count = rng.getrandbits(5)
    length = rng.choice([0xFFFF, 0, 1, 7, rng.getrandbits(16)])
    body = rng.randbytes(rng.randrange(0, 80))
    pkt = struct.pack("!BBH", 0x80 | count, pt, length) + body
    if rng.random() < 0.5:  # a compound packet whose second part lies
        pkt += struct.pack("!BBH", 0x81, 201, 0xFFFF) + rng.randbytes(8)
    return pkt


def dtls(rng):
    """DTLS records: handshake fragments with absurd fragment offsets and lengths, alerts,
    change-cipher-spec and application data under epochs 0, 1 and 0xFFFF, record lengths that
    lie."""
    ctype = rng.choice([20, 21, 22, 23, 24, 25])
    epoch = rng.choice([0, 1, 2, 0xFFFF])
    seq = rng.getrandbits(48).to_bytes(6, "big")
    if ctype == 22:
        msg_type = rng.choice([1, 2, 11, 12, 14, 16, 20, 0xFF])
        total = rng.choice([0xFFFFFF, 0, 100])
        frag_off = rng.choice([0, 0xFFFFFF, 50])
        frag_len = rng.choice([0xFFFFFF, 0, 10])
        body = struct.pack("!B", msg_type) + total.to_bytes(3, "big") + struct.pack("!H", rng.getrandbits(16))
        body += frag_off.to_bytes(3, "big") + frag_len.to_bytes(3, "big") + rng.randbytes(rng.randrange(0, 200))
    elif ctype == 21:
        body = bytes([2, rng.choice([0, 10, 20, 40, 50, 80, 90])])
    elif ctype == 20:
        body = b"\x01"
    else:
        body = rng.randbytes(rng.randrange(0, 300))
    length = rng.choice([len(body), 0xFFFF, 0, len(body) + 13])
    rec = struct.pack("!BHH", ctype, 0xFEFD, epoch) + seq + struct.pack("!H", length) + body
    if rng.random() < 0.3:
        rec += rec  # two records in one datagram
    return rec[: rng.choice([len(rec), 13, 5, 1])]


def sctp(rng):
    """SCTP common headers and chunks (INIT, DATA, SACK, ABORT, FORWARD-TSN) with lengths that lie;
    raw, and wrapped in a DTLS application-data record (which cannot decrypt)."""
    chunks = b""
    for _ in range(rng.randrange(1, 4)):
        ctype = rng.choice([0, 1, 3, 6, 192, 130, 0xFF])
        body = rng.randbytes(rng.randrange(0, 40))
        clen = rng.choice([len(body) + 4, 0xFFFF, 0, 3])
        chunks += struct.pack("!BBH", ctype, rng.getrandbits(8), clen) + body
    pkt = struct.pack("!HHII", 5000, 5000, rng.getrandbits(32), rng.getrandbits(32)) + chunks
    if rng.random() < 0.5:
        pkt = struct.pack("!BHH", 23, 0xFEFD, 1) + rng.getrandbits(48).to_bytes(6, "big") + struct.pack("!H", len(pkt)) + pkt
    return pkt


KINDS = [random_bytes, stun, rtp, rtcp, dtls, sctp]


def _checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def forged_udp(src, sport, dst, dport, payload):
    """An IPv4 + UDP datagram from src:sport (any address), for a raw socket with IP_HDRINCL."""
    udp_len = 8 + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, random.getrandbits(16), 0, 64, socket.IPPROTO_UDP, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    return ip + struct.pack("!HHHH", sport, dport, udp_len, 0) + payload


def blast(targets, seconds, forge_from=None, seed=1, rate=2000):
    """Sends garbage of every kind to each (host, port) for `seconds`, about `rate` datagrams a
    second in all. With forge_from=(host, port) half of it claims to come from there.
    Returns {kind: count}."""
    rng = random.Random(seed)
    plain = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    raw = None
    if forge_from:
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    counts = {k.__name__: 0 for k in KINDS}
    counts["forged"] = 0
    end = time.monotonic() + seconds
    sent = 0
    start = time.monotonic()
    while time.monotonic() < end:
        kind = rng.choice(KINDS)
        payload = kind(rng)[:65000]
        for host, port in targets:
            try:
                if raw and rng.random() < 0.5:
                    raw.sendto(forged_udp(forge_from[0], forge_from[1], host, port, payload), (host, 0))
                    counts["forged"] += 1
                else:
                    plain.sendto(payload, (host, port))
            except OSError:
                pass  # e.g. EMSGSIZE for the oversized ones; ICMP errors from closed ports
        counts[kind.__name__] += 1
        sent += 1
        ahead = sent / rate - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
    plain.close()
    if raw:
        raw.close()
    return counts


def tcp_garbage(targets, seed=2, connections=20):
    """Connects to listening TCP ports and writes RFC 4571 frames that lie about their length,
    then random bytes, then closes (or half-closes). Returns how many connections were made."""
    rng = random.Random(seed)
    made = 0
    for host, port in targets:
        for _ in range(connections):
            try:
                s = socket.create_connection((host, port), timeout=1)
            except OSError:
                continue
            made += 1
            try:
                frame = rng.choice(KINDS)(rng)
                s.sendall(struct.pack("!H", rng.choice([len(frame), 0xFFFF, 0])) + frame + rng.randbytes(rng.randrange(0, 3000)))
                if rng.random() < 0.5:
                    s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            s.close()
    return made
