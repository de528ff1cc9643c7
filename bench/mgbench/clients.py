"""Small HTTP/1.1 clients: a single check, a sequential keep-alive loop, and a
holder of many idle keep-alive connections."""

import http.client
import selectors
import socket
import time


def get(port, path, timeout=5.0):
    """(status, body) of one GET, or (None, error text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read().decode("latin-1")
    except (OSError, http.client.HTTPException) as e:
        return None, f"{type(e).__name__}: {e}"
    finally:
        conn.close()


def sequential(port, path, count, timeout=60.0):
    """count GETs one after another on one keep-alive connection.
    Returns the number of 200 responses."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    ok = 0
    try:
        for _ in range(count):
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            if resp.status == 200:
                ok += 1
    finally:
        conn.close()
    return ok


class IdleConnections:
    """Opens n connections, sends one request on each, reads the responses,
    then keeps them open (idle, keep-alive) until close()."""

    def __init__(self, port, path, n, batch=200, timeout=30.0):
        self.socks = []
        self.failed = 0
        request = (f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n").encode()
        self.request = request
        self.batch = batch
        self.timeout = timeout
        for start in range(0, n, batch):
            group = []
            for _ in range(min(batch, n - start)):
                try:
                    s = socket.create_connection(("127.0.0.1", port),
                                                 timeout=timeout)
                    s.sendall(request)
                    group.append(s)
                except OSError:
                    self.failed += 1
            self.failed += self._read_responses(group, timeout)
            self.socks.extend(group)

    @staticmethod
    def _read_responses(group, timeout):
        """Reads one complete response head from each socket; counts failures."""
        sel = selectors.DefaultSelector()
        pending = {}
        for s in group:
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
            pending[s] = b""
        deadline = time.monotonic() + timeout
        failed = 0
        while pending and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=1.0):
                s = key.fileobj
                try:
                    data = s.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    failed += 1
                    sel.unregister(s)
                    del pending[s]
                    continue
                pending[s] += data
                if b"\r\n\r\n" in pending[s]:
                    if not pending[s].startswith(b"HTTP/1.1 200"):
                        failed += 1
                    sel.unregister(s)
                    del pending[s]
        failed += len(pending)
        sel.close()
        return failed

    def open_count(self):
        """How many of the held connections the server has not closed."""
        n = 0
        for s in self.socks:
            try:
                data = s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
                if data:
                    n += 1
            except BlockingIOError:
                n += 1
            except OSError:
                pass
        return n

    def reuse(self):
        """Sends one more request on each held connection (a server must still
        serve its idle connections, not only keep them open); counts failures."""
        failed = 0
        for start in range(0, len(self.socks), self.batch):
            group = self.socks[start:start + self.batch]
            for s in group:
                try:
                    s.sendall(self.request)
                except OSError:
                    failed += 1
            failed += self._read_responses(group, self.timeout)
        return failed

    def close(self):
        for s in self.socks:
            s.close()
        self.socks = []
