"""bench/run: moongate against nginx + ngx_lua, side by side, in one command."""

import argparse
import os
import resource
import shutil
import signal
import sys
import tempfile

from . import callgrind, deps, procs, report, runner, servers
from .conf import load_scenarios

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(BENCH)
CALLGRIND_SCENARIOS = ["static", "hello"]
RATIO_KEYS = ("rps", "p50_ms", "p99_ms", "mb_per_s", "rss_kb", "anon_kb",
              "hwm_kb",
              "cpu_us_per_req", "rss_idle_kb", "kb_per_conn")
REDIS_KEY, REDIS_VALUE = "bench", "moongate-bench-value"


def _seconds(text):
    """wrk takes whole seconds."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("seconds must be >= 0")
    return value


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="bench/run", description=__doc__,
        epilog="Writes bench/RESULTS.md and bench/results.json (or --out).")
    p.add_argument("--rounds", type=int, default=3,
                   help="A B rounds per scenario (default 3)")
    p.add_argument("--duration", type=_seconds, default=5,
                   help="seconds per wrk measurement (default 5)")
    p.add_argument("--warmup", type=_seconds, default=2,
                   help="seconds of wrk warm-up before each (default 2)")
    p.add_argument("--connections", type=int, default=50,
                   help="wrk connections (default 50)")
    p.add_argument("--conns", type=int, default=5000,
                   help="idle connections in the conns scenario")
    p.add_argument("--hups", type=int, default=20,
                   help="HUPs in the reload scenario (default 20)")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: 1 round, 2 s, 1 s warm-up")
    p.add_argument("--scenarios", default="",
                   help="comma-separated subset (default: all)")
    p.add_argument("--callgrind", action="store_true",
                   help="instructions per request under callgrind instead "
                        "(scenarios static,hello unless --scenarios)")
    p.add_argument("--counts", default="2000,4000",
                   help="the two request counts of --callgrind")
    p.add_argument("--moongate", default=os.path.join(
        ROOT, ".build/release/moongate"), help="moongate binary")
    p.add_argument("--nginx", default=deps.NGINX, help="nginx binary")
    p.add_argument("--out", default=BENCH,
                   help="where RESULTS.md and results.json go")
    p.add_argument("--no-install", action="store_true",
                   help="never apt-get or swift build; report what is missing")
    p.add_argument("--report-only", action="store_true",
                   help="only rewrite RESULTS.md from results.json")
    p.add_argument("--keep", action="store_true",
                   help="keep the temporary prefixes (logs) for inspection")
    args = p.parse_args(argv)
    if args.quick:
        args.rounds, args.duration, args.warmup = 1, 2, 1
    return args


class Context:
    """What every measurement needs: processes, temp root, ports, settings."""

    def __init__(self, args, tmp):
        self.registry = procs.Registry()
        self.tmp = tmp
        self.bench = BENCH
        self.settings = runner.Settings(args)
        self.backend_port = 0
        self.redis_port = 0

    def values(self, port):
        return {"PORT": port, "BACKEND_PORT": self.backend_port or 9,
                "REDIS_PORT": self.redis_port or 9}


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 65536) if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def on_signal(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def run_wrk(args, ctx, sides, scenarios):
    results = {}
    load_start = report.loadavg()
    helpers = {}
    for sc in scenarios:
        print(f"== {sc.name}: {sc.summary}", flush=True)
        try:
            if "backend" in sc.needs and "backend" not in helpers:
                helpers["backend"] = servers.start_backend(
                    ctx.registry, ctx.tmp,
                    os.path.join(BENCH, "conf/support/backend.conf"),
                    args.nginx)
                ctx.backend_port = helpers["backend"].port
            if "redis" in sc.needs and "redis" not in helpers:
                helpers["redis"], ctx.redis_port = servers.start_redis(
                    ctx.registry, ctx.tmp, REDIS_KEY, REDIS_VALUE)
        except RuntimeError as e:
            reason = f"helper failed: {e}"
            results[sc.name] = _entry(sc, {s.name: {"ok": False,
                                                   "reason": reason}
                                          for s in sides})
            print(f"   {reason}", flush=True)
            continue
        port = procs.free_port()
        rounds = {s.name: [] for s in sides}
        for i in range(args.rounds):
            for side in sides:
                r = runner.run_once(ctx, sc, side, port, i)
                rounds[side.name].append(r)
                print("   " + _line(side.name, i, r), flush=True)
        agg = {name: runner.aggregate(rs) for name, rs in rounds.items()}
        results[sc.name] = _entry(sc, agg)
    for h in helpers.values():
        ctx.registry.stop(h.proc if hasattr(h, "proc") else h)
    return {
        "quick": args.quick,
        "settings": {"rounds": args.rounds, "duration": args.duration,
                     "warmup": args.warmup, "connections": args.connections,
                     "conns": args.conns, "hups": args.hups},
        "provenance": report.provenance(ROOT, args.moongate, args.nginx),
        "load_start": load_start, "load_end": report.loadavg(),
        "scenarios": results,
    }


def _entry(sc, agg):
    out = {"summary": sc.summary, "kind": sc.kind, "path": sc.path}
    out.update(agg)
    m, n = agg.get("moongate", {}), agg.get("nginx", {})
    if m.get("ok") and n.get("ok"):
        out["ratios"] = {k: m[k] / n[k] for k in RATIO_KEYS
                         if m.get(k) is not None and n.get(k)}
    return out


def _line(name, i, r):
    if not r["ok"]:
        return f"{name:8} round {i + 1}: FAILED: {r['reason']}"
    parts = []
    for key, fmt in (("rps", "{:,.0f} req/s"), ("p99_ms", "p99 {:.2f} ms"),
                     ("mb_per_s", "{:,.0f} MB/s"), ("rss_kb", "RSS {:,} kB"),
                     ("anon_kb", "anon {:,} kB"),
                     ("cpu_us_per_req", "{:.1f} µs/req"),
                     ("growth_b_per_req", "RSS {:+.0f} B/req"),
                     ("kb_per_conn", "{:.2f} kB/conn"),
                     ("failed", "{} failed"), ("retried", "{} retried"),
                     ("hups", "{} HUPs"), ("workers_seen", "{} workers")):
        if r.get(key) is not None:
            parts.append(fmt.format(r[key]))
    return f"{name:8} round {i + 1}: " + ", ".join(parts)


def run_callgrind(args, ctx, sides, scenarios):
    counts = [int(x) for x in args.counts.split(",")]
    if len(counts) != 2 or counts[1] <= counts[0]:
        sys.exit("bench: --counts wants two increasing numbers, e.g. 2000,4000")
    # A copy no longer sits next to lua/: tell moongate where its runtime is.
    lua_env = {"MOONGATE_LUA_DIR": os.path.join(ROOT, "lua")}
    stripped = [servers.Side(s.name, callgrind.stripped_copy(
        s.binary, ctx.tmp, s.name), s.nginx, None if s.nginx else lua_env)
        for s in sides]
    results = {}
    for sc in scenarios:
        results[sc.name] = {"summary": sc.summary}
        # The helpers the scenario needs, as for wrk (cosocket: redis-server).
        if "backend" in sc.needs and not ctx.backend_port:
            ctx.backend_port = servers.start_backend(
                ctx.registry, ctx.tmp,
                os.path.join(BENCH, "conf/support/backend.conf"),
                args.nginx).port
        if "redis" in sc.needs and not ctx.redis_port:
            _, ctx.redis_port = servers.start_redis(
                ctx.registry, ctx.tmp, REDIS_KEY, REDIS_VALUE)
        for side in stripped:
            print(f"== callgrind {sc.name} / {side.name}", flush=True)
            r = callgrind.measure(ctx, sc, side, counts)
            results[sc.name][side.name] = r
            print("   " + (f"{r['instructions_per_req']:,.0f} instructions/req"
                           if r["ok"] else "FAILED: " + r["reason"]),
                  flush=True)
    # The backend and redis started above are stopped with everything else by the
    # registry (main's `finally`).
    return {"counts": counts, "scenarios": results,
            "provenance": report.provenance(ROOT, args.moongate, args.nginx)}


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.report_only:
        report.rewrite(args.out)
        return 0
    deps.ensure_packages(args.callgrind, not args.no_install)
    deps.check_files()
    deps.ensure_moongate(ROOT, args.moongate, not args.no_install)
    raise_fd_limit()
    only = [s for s in args.scenarios.split(",") if s]
    if args.callgrind and not only:
        only = CALLGRIND_SCENARIOS
    scenarios = load_scenarios(os.path.join(BENCH, "conf"), only)
    sides = [servers.Side("moongate", os.path.abspath(args.moongate), False),
             servers.Side("nginx", args.nginx, True)]
    tmp = tempfile.mkdtemp(prefix="moongate-bench-")
    # nginx's workers run as nobody when the master is root: they must be
    # able to reach html/ (mkdtemp makes the directory 0700).
    os.chmod(tmp, 0o755)
    ctx = Context(args, tmp)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        if args.callgrind:
            report.write(args.out, "callgrind",
                         run_callgrind(args, ctx, sides, scenarios))
        else:
            report.write(args.out, "wrk",
                         run_wrk(args, ctx, sides, scenarios))
        print(f"bench: wrote {os.path.join(args.out, 'RESULTS.md')}")
    finally:
        ctx.registry.stop_all()
        if args.keep:
            print(f"bench: prefixes kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0
