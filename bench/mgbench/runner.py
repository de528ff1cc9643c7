"""One measured run of one scenario on one server, for each scenario kind."""

import json
import os
import signal
import statistics
import subprocess
import sys
import time

from . import clients, procs, servers, wrk
from .conf import make_prefix


class Settings:
    def __init__(self, args):
        self.rounds = args.rounds
        self.duration = args.duration
        self.warmup = args.warmup
        self.connections = args.connections
        self.conns = args.conns
        self.hups = args.hups


def _fail(reason):
    return {"ok": False, "reason": reason}


def _check(srv, scenario):
    """One GET before measuring: a wrong answer is a failure, not a number."""
    status, body = clients.get(srv.port, scenario.path)
    expect = scenario.meta["expect"]
    if status != 200 or (expect and expect not in body):
        detail = srv.problem()
        what = f"status {status}" if status else body
        return (f"GET {scenario.path} -> {what}"
                + (f" body {servers.clip(body, 80)!r}" if status else "")
                + (f"; log: {detail}" if detail else ""))
    return None


def _rss_kb(pids, field="VmHWM"):
    vals = [procs.status_kb(p, field) for p in pids]
    vals = [v for v in vals if v is not None]
    return sum(vals) if vals else None


def run_once(ctx, scenario, side, port, round_no):
    """Starts the server, measures, stops it. Returns the round's dict."""
    r = _run_once(ctx, scenario, side, port, round_no)
    if "reason" in r:
        r["reason"] = r["reason"].replace(ctx.tmp + "/", "$TMP/")
    return r


def _run_once(ctx, scenario, side, port, round_no):
    text = scenario.render(ctx.values(port))
    prefix = make_prefix(ctx.tmp, f"{scenario.name}-{side.name}-{round_no}",
                         text, nginx=side.nginx)
    srv, err = servers.start(ctx.registry, side, [], prefix, port)
    if err:
        return _fail(err)
    try:
        bad = _check(srv, scenario)
        if bad:
            return _fail(bad)
        kind = {"wrk": _measure_wrk, "conns": _measure_conns,
                "reload": _measure_reload}[scenario.kind]
        return kind(ctx, scenario, srv)
    finally:
        srv.stop()


def _url(srv, scenario):
    return f"http://127.0.0.1:{srv.port}{scenario.path}"


def _wrk_errors(w):
    if w["requests"] == 0:
        first = next((l for l in w.get("raw", "").splitlines()
                      if l.strip()), "")
        return "wrk completed no request: " + servers.clip(first, 120)
    if w["non2xx"] or w["socket_errors"]:
        sock = ", ".join(f"{k} {v}" for k, v in w["socket"].items() if v)
        return (f"wrk: {w['non2xx']} non-2xx/3xx of {w['requests']}"
                + (f", socket errors: {sock}" if sock else ""))
    return None


def _measure_wrk(ctx, scenario, srv):
    s = ctx.settings
    url = _url(srv, scenario)
    if s.warmup > 0:
        w = wrk.run(ctx.registry, url, s.warmup, s.connections,
                    servers.CLIENT_CPU)
        bad = _wrk_errors(w)
        if bad:
            return _fail("warm-up " + bad + _log(srv))
    workers = srv.workers()
    rss0 = _rss_kb(workers, "VmRSS")
    cpu0 = procs.cpu_seconds(workers)
    w = wrk.run(ctx.registry, url, s.duration, s.connections,
                servers.CLIENT_CPU)
    cpu1 = procs.cpu_seconds(workers)
    rss1 = _rss_kb(workers, "VmRSS")
    if not srv.alive() or srv.workers() != workers:
        return _fail("worker or master died during the run" + _log(srv))
    bad = _wrk_errors(w)
    if bad:
        return _fail(bad + _log(srv))
    return {
        "ok": True, "rps": w["rps"], "p50_ms": w["p50_ms"],
        "p99_ms": w["p99_ms"], "mb_per_s": w["mb_per_s"],
        "requests": w["requests"], "rss_kb": _rss_kb(workers),
        # The worker's own memory: RSS also counts the code pages it maps
        # from the binary and shared libraries, which the page cache holds
        # once for every process (and a container is charged once for).
        "anon_kb": _rss_kb(workers, "RssAnon"),
        "cpu_us_per_req": (cpu1 - cpu0) * 1e6 / w["requests"],
        # Steady state should not grow: a leak shows up here.
        "growth_b_per_req": ((rss1 - rss0) * 1024 / w["requests"]
                             if rss0 is not None and rss1 is not None
                             else None),
    }


def _log(srv):
    detail = srv.problem()
    return f"; log: {detail}" if detail else ""


def _measure_conns(ctx, scenario, srv):
    n = ctx.settings.conns
    workers = srv.workers()
    clients.sequential(srv.port, scenario.path, 200)
    idle_kb = _rss_kb(workers, "VmRSS")
    held = clients.IdleConnections(srv.port, scenario.path, n)
    try:
        time.sleep(1.0)
        rss_kb = _rss_kb(workers, "VmRSS")
        anon_kb = _rss_kb(workers, "RssAnon")
        hwm_kb = _rss_kb(workers)
        still_open = held.open_count()
        reuse_failed = held.reuse()
    finally:
        held.close()
    if held.failed or still_open < n:
        return _fail(f"{held.failed} of {n} connections failed, "
                     f"{still_open} still open after 1 s" + _log(srv))
    if reuse_failed:
        return _fail(f"{reuse_failed} of {n} idle connections did not serve "
                     "a second request" + _log(srv))
    if not srv.alive() or srv.workers() != workers:
        return _fail("worker or master died" + _log(srv))
    return {"ok": True, "rss_idle_kb": idle_kb, "rss_kb": rss_kb,
            "anon_kb": anon_kb, "hwm_kb": hwm_kb, "conns": n,
            "kb_per_conn": (rss_kb - idle_kb) / n}


def _measure_reload(ctx, scenario, srv):
    """HUPs under load from loadclient (not wrk: see loadclient.py)."""
    s = ctx.settings
    url = _url(srv, scenario)
    if s.warmup > 0:
        wrk.run(ctx.registry, url, s.warmup, s.connections,
                servers.CLIENT_CPU)
    seen = set(srv.workers())
    argv = [sys.executable, "-m", "mgbench.loadclient", str(srv.port),
            scenario.path, str(s.connections), str(s.duration)]
    proc = ctx.registry.spawn(argv, cpu=servers.CLIENT_CPU, cwd=ctx.bench,
                              stdout=subprocess.PIPE, text=True)
    gap = s.duration / (s.hups + 1)
    sent = 0
    try:
        for _ in range(s.hups):
            time.sleep(gap)
            if not srv.alive():
                break
            os.kill(srv.pid, signal.SIGHUP)
            sent += 1
            seen.update(srv.workers())
        out, _ = proc.communicate(timeout=s.duration + 30)
    finally:
        ctx.registry.stop(proc)
    time.sleep(0.5)
    seen.update(srv.workers())
    try:
        load = json.loads(out)
    except ValueError:
        return _fail(f"load client printed {servers.clip(out or '', 80)!r}")
    after = _check(srv, scenario) if srv.alive() else "master died"
    result = {"ok": True, "rps": load["rps"], "requests": load["requests"],
              "failed": load["failed"], "retried": load["retried"],
              "hups": sent, "workers_seen": len(seen)}
    if after:
        return dict(result, ok=False, reason="after the HUPs: " + after)
    if load["failed"]:
        errors = ", ".join(f"{k} {v}" for k, v in load["errors"].items())
        return dict(result, ok=False,
                    reason=f"{load['failed']} of {load['requests']} requests "
                           f"failed across {sent} HUPs ({errors})" + _log(srv))
    if len(seen) < 2:
        return dict(result, ok=False,
                    reason=f"{sent} HUPs never replaced the worker")
    return result


def aggregate(rounds):
    """Medians over rounds (peak for RSS); FAILED if any round failed."""
    failed = [r for r in rounds if not r["ok"]]
    if failed:
        out = {"ok": False, "reason": failed[0]["reason"],
               "rounds_failed": len(failed), "rounds": len(rounds)}
        for key in ("failed", "retried", "hups", "requests", "workers_seen"):
            if key in failed[0]:
                out[key] = failed[0][key]
        return out
    out = {"ok": True, "rounds": len(rounds)}
    for key in rounds[0]:
        vals = [r[key] for r in rounds if r.get(key) is not None]
        if key == "ok" or not vals or not isinstance(vals[0], (int, float)):
            continue
        if key in ("rss_kb", "anon_kb", "hwm_kb", "failed", "retried"):
            out[key] = max(vals)
        else:
            out[key] = statistics.median(vals)
    out["rps_all"] = [r["rps"] for r in rounds if "rps" in r]
    return out
