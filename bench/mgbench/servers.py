"""Starting the servers under test (moongate, nginx) and their helpers
(the proxy backend, redis-server)."""

import os
import re
import socket
import subprocess
import time

from . import procs
from .conf import make_prefix
from .deps import NGINX_MODULES

SERVER_CPU = 0
CLIENT_CPU = 1


class Side:
    """One of the two servers compared: its name, binary and environment."""

    def __init__(self, name, binary, nginx, env=None):
        self.name = name
        self.binary = binary
        self.nginx = nginx
        self.env = env


class Running:
    """A started server: its master process and prefix."""

    def __init__(self, registry, proc, prefix, port):
        self.registry = registry
        self.proc = proc
        self.prefix = prefix
        self.port = port

    @property
    def pid(self):
        return self.proc.pid

    def workers(self):
        return procs.children(self.proc.pid)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        self.registry.stop(self.proc)

    def problem(self):
        """The first alarming line of the error log or stderr, if any."""
        return first_problem(self.prefix)


def first_problem(prefix):
    for name in ("logs/error.log", "logs/stderr.log"):
        try:
            with open(prefix + name, errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        for line in text.splitlines():
            if re.search(r"\[(emerg|alert|crit|error)\]", line) or \
                    (name.endswith("stderr.log") and line.strip()):
                return clip(line)
    return ""


def clip(text, n=240):
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n - 3] + "..."


def evict_page_cache(paths):
    """Drops the page cache of files no process maps, as if read from disk.

    A worker's RSS counts the code pages it maps, and how many pages one touch maps
    depends on how the file came into the page cache: a binary the linker or `cp`
    has just written sits in large folios, one of which is mapped whole, while one
    read from disk comes in readahead-sized folios. A deployed binary is read from
    disk, like Debian's nginx here, so both servers start from a cold cache.
    Pages that a running process maps stay (the kernel skips them)."""
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        except OSError:
            pass
        finally:
            os.close(fd)


def start(registry, side, argv_prefix, prefix, port, cpu=SERVER_CPU,
          timeout=20.0, want_workers=True):
    """Starts `side` on prefix; returns (Running, None) or (None, reason)."""
    argv = list(argv_prefix) + [side.binary, "-p", prefix,
                                "-c", "conf/nginx.conf"]
    evict_page_cache([side.binary] + (NGINX_MODULES if side.nginx else []))
    env = dict(os.environ, **(side.env or {}))
    out = open(prefix + "logs/stderr.log", "ab")
    try:
        proc = registry.spawn(argv, cpu=cpu, cwd=prefix, env=env,
                              stdin=subprocess.DEVNULL, stdout=out,
                              stderr=subprocess.STDOUT)
    finally:
        out.close()
    srv = Running(registry, proc, prefix, port)
    if not procs.wait_port(port, proc, timeout):
        code = proc.poll()
        why = (f"exited with status {code}" if code is not None
               else f"not listening after {timeout:.0f}s")
        detail = srv.problem()
        srv.stop()
        return None, f"{side.name} {why}" + (f": {detail}" if detail else "")
    if want_workers:
        deadline = time.monotonic() + 5.0
        while not srv.workers() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not srv.workers():
            srv.stop()
            return None, f"{side.name}: no worker process appeared"
    return srv, None


def start_backend(registry, root, template_path, nginx_binary):
    """Debian's nginx serving `return 200 "backend"` on the client core."""
    port = procs.free_port()
    with open(template_path) as f:
        text = f.read().replace("@PORT@", str(port))
    prefix = make_prefix(root, "backend", text, nginx=False)
    side = Side("backend", nginx_binary, nginx=True)
    srv, err = start(registry, side, [], prefix, port, cpu=CLIENT_CPU)
    if err:
        raise RuntimeError(f"proxy backend: {err}")
    return srv


def start_redis(registry, root, key, value):
    """redis-server on the client core, no persistence, with key = value."""
    port = procs.free_port()
    d = os.path.join(root, "redis")
    os.makedirs(d, exist_ok=True)
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--daemonize", "no",
            "--dir", d, "--logfile", os.path.join(d, "redis.log")]
    proc = registry.spawn(argv, cpu=CLIENT_CPU, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not procs.wait_port(port, proc, 10.0):
        registry.stop(proc)
        raise RuntimeError("redis-server did not start")
    cmd = (f"*3\r\n$3\r\nSET\r\n${len(key)}\r\n{key}\r\n"
           f"${len(value)}\r\n{value}\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(cmd)
        reply = s.recv(64)
    if not reply.startswith(b"+OK"):
        registry.stop(proc)
        raise RuntimeError(f"redis SET failed: {reply!r}")
    return proc, port
