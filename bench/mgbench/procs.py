"""Processes the harness starts, and what /proc says about them.

Every process goes through `Registry.spawn`, so that `Registry.stop_all` (run
from a `finally`) can stop each one by its pid, and the workers a master forked
by theirs, whatever went wrong.
"""

import os
import signal
import socket
import subprocess
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_stat(pid):
    """(ppid, utime + stime in ticks) of a live process, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    # comm may hold spaces and parentheses: the fields start after the last ')'.
    fields = data[data.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[11]) + int(fields[12])


def children(pid):
    """Pids whose parent is pid (a master's workers)."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = read_stat(int(name))
            if st and st[0] == pid:
                out.append(int(name))
    return sorted(out)


def cpu_seconds(pids):
    """Summed utime + stime of pids, in seconds."""
    total = 0
    for pid in pids:
        st = read_stat(pid)
        if st:
            total += st[1]
    return total / CLK_TCK


def status_kb(pid, field):
    """A `VmHWM`/`VmRSS`-style field of /proc/PID/status in kB, or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def alive(pid):
    st = read_stat(pid)
    if st is None:
        return False
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("State:"):
                    return "Z" not in line.split()[1]
    except OSError:
        return False
    return True


def wait_port(port, proc, timeout):
    """True once 127.0.0.1:port accepts; False if proc died or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Registry:
    """The processes this run started; stops them (and their children) by pid."""

    def __init__(self):
        self.procs = []

    def spawn(self, argv, cpu=None, **kw):
        if cpu is not None:
            argv = ["taskset", "-c", str(cpu)] + list(argv)
        # taskset execs the command: the pid we get is the server's master.
        proc = subprocess.Popen(argv, **kw)
        self.procs.append(proc)
        return proc

    def stop(self, proc, sig=signal.SIGTERM, timeout=10.0):
        """Signals proc, waits, then SIGKILLs it and any child still there."""
        if proc not in self.procs:
            return
        kids = children(proc.pid)
        if proc.poll() is None:
            try:
                os.kill(proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.kill(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
        # Workers of a master that died hard (nginx's do not follow it).
        deadline = time.monotonic() + 3.0
        for pid in kids:
            while alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.procs.remove(proc)

    def stop_all(self):
        for proc in reversed(list(self.procs)):
            self.stop(proc, timeout=5.0)
