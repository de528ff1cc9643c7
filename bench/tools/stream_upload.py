#!/usr/bin/env python3
"""A large upload through `proxy_request_buffering off`, sampling the server's RSS.

Starts the server (moongate, or nginx with --nginx) with master_process off on a
temporary prefix, a Python backend on loopback that reads and discards the body
(at --rate bytes/s if given), and a client that sends --size-mb MB as fast as the
proxy lets it. Prints the client's progress, what the backend got, and the server's
RSS once a second, then the RSS growth. Everything runs on 127.0.0.1 and stops by
itself (--max-seconds); the processes it starts are stopped by pid.

  bench/tools/stream_upload.py --size-mb 200
  bench/tools/stream_upload.py --size-mb 200 --rate 1000000 --max-seconds 15
  bench/tools/stream_upload.py --nginx --size-mb 200
"""
import argparse
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

CONF = """daemon off;
master_process off;
worker_processes 1;
error_log {prefix}/logs/error.log warn;
pid {prefix}/logs/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_max_body_size 0;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_request_buffering {buffering};
            proxy_http_version 1.1;
            proxy_send_timeout 60s;
            proxy_read_timeout 120s;
            proxy_pass http://127.0.0.1:{backend};
        }}
    }}
}}
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Backend(threading.Thread):
    """Reads one request at a time and discards its body, at `rate` bytes/s if set."""

    def __init__(self, rate):
        super().__init__(daemon=True)
        self.rate = rate
        self.received = 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        head = b""
        while b"\r\n\r\n" not in head:
            d = c.recv(4096)
            if not d:
                return
            head += d
        h, rest = head.split(b"\r\n\r\n", 1)
        length = None
        chunked = False
        for line in h.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
            if k.strip().lower() == b"transfer-encoding":
                chunked = True
        got = len(rest)
        self.received += got
        start = time.time()
        while length is None or got < length:
            if self.rate:
                ahead = got / self.rate - (time.time() - start)
                if ahead > 0:
                    time.sleep(min(ahead, 0.2))
            d = c.recv(16384 if self.rate else 262144)
            if not d:
                break
            got += len(d)
            self.received += len(d)
            if chunked and d.endswith(b"0\r\n\r\n"):
                break
        body = b"%d\n" % got
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=None)
    ap.add_argument("--nginx", action="store_true", help="run /usr/sbin/nginx instead")
    ap.add_argument("--size-mb", type=int, default=200)
    ap.add_argument("--rate", type=int, default=0, help="backend read rate, bytes/s")
    ap.add_argument("--max-seconds", type=float, default=60)
    ap.add_argument("--buffering", default="off")
    a = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    binary = a.binary or ("/usr/sbin/nginx" if a.nginx else root + "/.build/debug/moongate")

    backend = Backend(a.rate)
    backend.start()
    prefix = tempfile.mkdtemp(prefix="mgstream-")
    os.makedirs(prefix + "/conf")
    os.makedirs(prefix + "/logs")
    port = free_port()
    with open(prefix + "/conf/nginx.conf", "w") as f:
        f.write(CONF.format(prefix=prefix, port=port, backend=backend.port, buffering=a.buffering))
    server = subprocess.Popen([binary, "-p", prefix + "/", "-c", prefix + "/conf/nginx.conf"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        base = rss_kb(server.pid)
        size = a.size_mb * 1024 * 1024
        c = socket.create_connection(("127.0.0.1", port))
        c.sendall(b"PUT /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n"
                  b"Connection: close\r\n\r\n" % size)
        c.setblocking(False)
        piece = b"x" * 262144
        sent = 0
        peak = base
        start = time.time()
        next_report = start
        print("%6s %10s %12s %10s" % ("t(s)", "sent(MB)", "backend(MB)", "RSS(MB)"))
        response = b""
        while True:
            now = time.time()
            r = rss_kb(server.pid)
            peak = max(peak, r)
            if now >= next_report:
                print("%6.1f %10.1f %12.1f %10.1f" % (now - start, sent / 1048576.0,
                                                     backend.received / 1048576.0, r / 1024.0))
                sys.stdout.flush()
                next_report += 1
            if now - start > a.max_seconds:
                print("stopped after %.0f s" % a.max_seconds)
                break
            want_w = [c] if sent < size else []
            rd, wr, _ = select.select([c], want_w, [], 0.1)
            if wr:
                try:
                    n = c.send(piece[: min(len(piece), size - sent)])
                    sent += n
                except BlockingIOError:
                    pass
            if rd:
                d = c.recv(65536)
                if not d:
                    break
                response += d
        elapsed = time.time() - start
        c.close()
        end = rss_kb(server.pid)
        print("binary: %s" % binary)
        print("sent %.1f MB in %.1f s (%.1f MB/s); backend got %.1f MB; response: %r" % (
            sent / 1048576.0, elapsed, sent / 1048576.0 / max(elapsed, 0.001),
            backend.received / 1048576.0, response.split(b"\r\n\r\n")[-1][:40]))
        print("RSS: start %.1f MB, peak %.1f MB, end %.1f MB, peak growth %.1f MB" % (
            base / 1024.0, peak / 1024.0, end / 1024.0, (peak - base) / 1024.0))
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
        backend.sock.close()
        shutil.rmtree(prefix, ignore_errors=True)


if __name__ == "__main__":
    main()
