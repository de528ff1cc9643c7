#!/usr/bin/env python3
"""A large response through the proxy to a client that reads slowly.

A Python backend on loopback sends --size-mb MB as fast as it can; the client reads
64 KB, then --read-rate bytes/s. Prints once a second what the backend managed to
write, what the client read, and the server's RSS: with backpressure the backend is
held back by the socket buffers and RSS stays flat. Stops by itself (--seconds);
the processes it starts are stopped by pid.

  bench/tools/slow_download.py --size-mb 200 --seconds 6
  bench/tools/slow_download.py --nginx --size-mb 200 --seconds 6

With --buffering on (nginx's default) the server reads the whole response at the
backend's pace: it must keep it in an unlinked temp file under proxy_temp_path (the
"temp(MB)" column: deleted files the server holds open), not in memory; with
--max-temp-file-size 0 the backend is held back as with buffering off.

  bench/tools/slow_download.py --buffering on --size-mb 200 --seconds 6
  bench/tools/slow_download.py --buffering on --max-temp-file-size 0 --size-mb 200 --seconds 6
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
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
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_buffering {buffering};
            proxy_max_temp_file_size {maxtemp};
            proxy_temp_path {prefix}/proxy_temp;
            proxy_read_timeout 120s;
            proxy_pass http://127.0.0.1:{backend};
        }}
    }}
}}
"""


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def temp_kb(pid):
    """Size of the deleted files the server holds open (its unlinked temp files)."""
    total = 0
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            path = "/proc/%d/fd/%s" % (pid, fd)
            try:
                if os.readlink(path).endswith("(deleted)"):
                    total += os.stat(path).st_size
            except OSError:
                pass
    except OSError:
        pass
    return total // 1024


class Backend(threading.Thread):
    def __init__(self, size):
        super().__init__(daemon=True)
        self.size = size
        self.written = 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]

    def run(self):
        try:
            c, _ = self.sock.accept()
        except OSError:
            return
        head = b""
        while b"\r\n\r\n" not in head:
            d = c.recv(4096)
            if not d:
                return
            head += d
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % self.size)
        piece = b"y" * 65536
        try:
            while self.written < self.size:
                self.written += c.send(piece[: self.size - self.written])
        except OSError:
            pass
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=None)
    ap.add_argument("--nginx", action="store_true")
    ap.add_argument("--size-mb", type=int, default=200)
    ap.add_argument("--read-rate", type=int, default=100000, help="client read rate, bytes/s")
    ap.add_argument("--seconds", type=float, default=6)
    ap.add_argument("--buffering", default="off")
    ap.add_argument("--max-temp-file-size", default="1024m")
    a = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    binary = a.binary or ("/usr/sbin/nginx" if a.nginx else root + "/.build/debug/moongate")
    backend = Backend(a.size_mb * 1048576)
    backend.start()
    prefix = tempfile.mkdtemp(prefix="mgdown-")
    os.makedirs(prefix + "/conf")
    os.makedirs(prefix + "/logs")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with open(prefix + "/conf/nginx.conf", "w") as f:
        f.write(CONF.format(prefix=prefix, port=port, backend=backend.port, buffering=a.buffering,
                           maxtemp=a.max_temp_file_size))
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
        peak = base
        temp_peak = 0
        c = socket.create_connection(("127.0.0.1", port))
        c.sendall(b"GET /big HTTP/1.0\r\nHost: x\r\n\r\n")
        got = len(c.recv(65536))
        start = time.time()
        print("%6s %12s %12s %10s %10s" % ("t(s)", "backend(MB)", "client(MB)", "RSS(MB)", "temp(MB)"))
        while time.time() - start < a.seconds:
            time.sleep(0.1)
            got += len(c.recv(max(1, a.read_rate // 10)))
            r = rss_kb(server.pid)
            peak = max(peak, r)
            tk = temp_kb(server.pid)
            temp_peak = max(temp_peak, tk)
            t = time.time() - start
            if abs(t - round(t)) < 0.05:
                print("%6.1f %12.1f %12.1f %10.1f %10.1f" % (
                    t, backend.written / 1048576.0, got / 1048576.0, r / 1024.0, tk / 1024.0))
        c.close()
        print("binary: %s, proxy_buffering %s, proxy_max_temp_file_size %s" % (
            binary, a.buffering, a.max_temp_file_size))
        print("backend wrote %.1f MB while the client read %.1f MB; RSS start %.1f MB, peak %.1f MB (+%.1f MB); "
              "temp file peak %.1f MB" % (
                  backend.written / 1048576.0, got / 1048576.0, base / 1024.0, peak / 1024.0, (peak - base) / 1024.0,
                  temp_peak / 1024.0))
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
