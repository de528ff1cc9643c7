"""A keep-alive load client that counts failed requests the way an HTTP client
sees them, for the reload scenario.

wrk counts a keep-alive connection that the server closed while idle (as nginx
does to every idle connection of a worker that is shutting down after a HUP)
as a read error. RFC 9112 9.3.1 lets a client retry a request when the
connection closed before any byte of the response came back, and real clients
do; so here that is a `retried` request, and only what no client can recover
from is `failed`: a non-200 status, a response cut short, a refused or reset
fresh connection, a timeout.

Run: python3 -m mgbench.loadclient PORT PATH CONNECTIONS SECONDS
Prints one JSON object.
"""

import json
import selectors
import socket
import sys
import time
from collections import Counter

TIMEOUT = 5.0


class Conn:
    def __init__(self, client):
        self.client = client
        self.sock = None
        self.served = 0
        self.connect()

    def connect(self):
        if self.sock is not None:
            self.client.sel.unregister(self.sock)
            self.sock.close()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.served = 0
        self.out = b""
        # A refused connect shows up as an error on the first send.
        self.sock.connect_ex(("127.0.0.1", self.client.port))
        self.client.sel.register(self.sock, selectors.EVENT_WRITE, self)
        self.send()

    def send(self):
        self.buf = b""
        self.started = time.monotonic()
        self.out = self.client.request
        self.client.sel.modify(self.sock, selectors.EVENT_WRITE, self)

    def writable(self):
        try:
            n = self.sock.send(self.out)
        except OSError as e:
            return self.broken(e)
        self.out = self.out[n:]
        if not self.out:
            self.client.sel.modify(self.sock, selectors.EVENT_READ, self)

    def readable(self):
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError as e:
            return self.broken(e)
        if not data:
            return self.broken(None)
        self.buf += data
        self.parse()

    def broken(self, e):
        """The connection closed or failed during the current request."""
        if not self.buf and self.served > 0:
            self.client.stats["retried"] += 1
        else:
            what = "reset" if e else "closed"
            where = "mid-response" if self.buf else "on a fresh connection"
            self.client.fail(f"{what} {where}")
        self.reconnect_or_stop()

    def reconnect_or_stop(self):
        if self.client.running():
            self.connect()
        else:
            self.close()

    def parse(self):
        head, sep, body = self.buf.partition(b"\r\n\r\n")
        if not sep:
            return
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip().lower()
        if "content-length" in headers:
            if len(body) < int(headers["content-length"]):
                return
        elif headers.get("transfer-encoding") == "chunked":
            if not body.endswith(b"0\r\n\r\n"):
                return
        self.client.done(status)
        self.served += 1
        if headers.get("connection") == "close":
            self.reconnect_or_stop()
        elif self.client.running():
            self.send()
        else:
            self.close()

    def close(self):
        if self.sock is not None:
            self.client.sel.unregister(self.sock)
            self.sock.close()
            self.sock = None


class Client:
    def __init__(self, port, path, seconds):
        self.port = port
        self.request = (f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n").encode()
        self.deadline = time.monotonic() + seconds
        self.sel = selectors.DefaultSelector()
        self.stats = Counter(requests=0, failed=0, retried=0)
        self.errors = Counter()
        self.statuses = Counter()

    def running(self):
        return time.monotonic() < self.deadline

    def fail(self, kind):
        self.stats["failed"] += 1
        self.errors[kind] += 1

    def done(self, status):
        self.stats["requests"] += 1
        self.statuses[status] += 1
        if status != 200:
            self.fail(f"status {status}")

    def run(self, connections):
        conns = [Conn(self) for _ in range(connections)]
        start = time.monotonic()
        while self.sel.get_map():
            for key, mask in self.sel.select(timeout=0.5):
                conn = key.data
                if conn.sock is None:
                    continue
                if mask & selectors.EVENT_WRITE:
                    conn.writable()
                elif mask & selectors.EVENT_READ:
                    conn.readable()
            now = time.monotonic()
            for conn in conns:
                if conn.sock is not None and now - conn.started > TIMEOUT:
                    self.fail("timeout")
                    conn.reconnect_or_stop()
        elapsed = time.monotonic() - start
        return dict(self.stats, rps=self.stats["requests"] / elapsed,
                    errors=dict(self.errors),
                    statuses={str(k): v for k, v in self.statuses.items()})


def main():
    port, path, conns, seconds = sys.argv[1:5]
    result = Client(int(port), path, float(seconds)).run(int(conns))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
