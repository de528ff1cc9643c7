#!/usr/bin/env python3
"""A DNS stub for the resolver specs (t/deps/076-resolver-more.spec).

Usage: dns-stub.py PORT SILENT_PORT   (UDP on 127.0.0.1; PORT also TCP)

PORT answers:
  NAME.ok.test   A 127.0.0.1; AAAA: no data. TTL 300, or N when the first
                 label is "ttlN-...".
  NAME.tc.test   over UDP a truncated answer (TC set, no records); over TCP
                 as NAME.ok.test.
  anything else  NXDOMAIN.
  "stats NAME"   (not DNS) replies "a=N aaaa=M": the queries seen for NAME;
  "tcpstats NAME" replies "tcp=N": those of them that came over TCP.
SILENT_PORT reads every datagram and never answers (a name server that times
out; a closed port would answer with ICMP "port unreachable" on loopback).
"""
import re, select, socket, struct, sys, threading

port, silent_port = int(sys.argv[1]), int(sys.argv[2])
live = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
live.bind(("127.0.0.1", port))
silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
silent.bind(("127.0.0.1", silent_port))
stream = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
stream.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
stream.bind(("127.0.0.1", port))
stream.listen(8)
seen = {}


def parse_name(p, i):
    labels = []
    while p[i] != 0:
        n = p[i]
        labels.append(p[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    return ".".join(labels).lower(), i + 1


def answer(q, tcp=False):
    ident, flags, qd = struct.unpack("!HHH", q[:6])
    name, i = parse_name(q, 12)
    qtype, qclass = struct.unpack("!HH", q[i:i + 4])
    question = q[12:i + 4]
    key = {1: "a", 28: "aaaa"}.get(qtype, str(qtype))
    counts = seen.setdefault(name, {})
    counts[key] = counts.get(key, 0) + 1
    if tcp:
        counts["tcp"] = counts.get("tcp", 0) + 1
    rd = flags & 0x0100
    if name.endswith(".tc.test") and not tcp:
        return struct.pack("!HHHHHH", ident, 0x8080 | 0x0200 | rd, 1, 0, 0, 0) + question
    if not name.endswith(".ok.test") and not name.endswith(".tc.test"):
        return struct.pack("!HHHHHH", ident, 0x8080 | rd | 3, 1, 0, 0, 0) + question
    answers = b""
    n = 0
    if qtype == 1:
        m = re.match(r"ttl(\d+)-", name)
        ttl = int(m.group(1)) if m else 300
        answers = struct.pack("!HHHIH", 0xC00C, 1, 1, ttl, 4) + bytes([127, 0, 0, 1])
        n = 1
    return struct.pack("!HHHHHH", ident, 0x8080 | rd, 1, n, 0, 0) + question + answers


def serve_tcp(c):
    """One DNS-over-TCP connection: length-prefixed queries, answered in turn."""
    c.settimeout(30)
    buf = b""
    try:
        while True:
            chunk = c.recv(4096)
            if not chunk:
                break
            buf += chunk
            while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                n = struct.unpack("!H", buf[:2])[0]
                reply = answer(buf[2:2 + n], tcp=True)
                buf = buf[2 + n:]
                c.sendall(struct.pack("!H", len(reply)) + reply)
    except Exception:
        pass
    c.close()


while True:
    ready, _, _ = select.select([live, silent, stream], [], [])
    for s in ready:
        if s is stream:
            c, _ = stream.accept()
            # A thread per connection: nginx keeps its TCP connection to the server open.
            threading.Thread(target=serve_tcp, args=(c,), daemon=True).start()
            continue
        data, addr = s.recvfrom(4096)
        if s is silent:
            continue
        if data.startswith(b"tcpstats "):
            c = seen.get(data[9:].decode().strip().lower(), {})
            s.sendto(("tcp=%d" % c.get("tcp", 0)).encode(), addr)
            continue
        if data.startswith(b"stats "):
            c = seen.get(data[6:].decode().strip().lower(), {})
            s.sendto(("a=%d aaaa=%d" % (c.get("a", 0), c.get("aaaa", 0))).encode(), addr)
            continue
        try:
            s.sendto(answer(data), addr)
        except Exception:
            pass
