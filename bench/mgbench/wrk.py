"""Runs wrk and parses its report."""

import re
import subprocess

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}
_UNITS_MB = {"B": 1 / 1048576, "KB": 1 / 1024, "MB": 1.0, "GB": 1024.0,
             "TB": 1048576.0}


def _ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    return float(m.group(1)) * _UNITS_MS[m.group(2)] if m else None


def parse(out):
    """wrk's stdout -> dict(requests, rps, p50_ms, p99_ms, mb_per_s, errors...)."""
    r = {"requests": 0, "rps": 0.0, "p50_ms": None, "p99_ms": None,
         "mb_per_s": 0.0, "non2xx": 0, "socket_errors": 0, "socket": {}}
    m = re.search(r"(\d+) requests in", out)
    if m:
        r["requests"] = int(m.group(1))
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        r["rps"] = float(m.group(1))
    m = re.search(r"Transfer/sec:\s+([\d.]+)([KMGT]?B)", out)
    if m:
        r["mb_per_s"] = float(m.group(1)) * _UNITS_MB[m.group(2)]
    for pct, key in (("50", "p50_ms"), ("99", "p99_ms")):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        if m:
            r[key] = _ms(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if m:
        r["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                  r"timeout (\d+)", out)
    if m:
        kinds = ("connect", "read", "write", "timeout")
        r["socket"] = {k: int(v) for k, v in zip(kinds, m.groups())}
        r["socket_errors"] = sum(r["socket"].values())
    return r


def command(url, duration, connections, threads=1):
    return ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s",
            "--latency", url]


def start(registry, url, duration, connections, cpu):
    """Starts wrk (pinned to cpu) in the background."""
    proc = registry.spawn(command(url, duration, connections), cpu=cpu,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    proc.bench_duration = duration
    return proc


def finish(registry, proc):
    """Waits for wrk and returns parse() of its report, plus the raw text."""
    try:
        out, _ = proc.communicate(timeout=proc.bench_duration + 30)
    finally:
        registry.stop(proc)
    r = parse(out)
    r["raw"] = out
    return r


def run(registry, url, duration, connections, cpu):
    return finish(registry, start(registry, url, duration, connections, cpu))
