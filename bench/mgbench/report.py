"""bench/results.json (the record) and bench/RESULTS.md (made from it)."""

import datetime
import json
import os
import platform
import subprocess

SIDES = ("moongate", "nginx")


def _run(argv, cwd=None):
    try:
        r = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=20)
        return r.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_info():
    info = {"nproc": _run(["nproc"]), "kernel": platform.release()}
    for line in _run(["lscpu"]).splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("Model name", "CPU(s)", "Thread(s) per core",
                           "Hypervisor vendor", "CPU max MHz"):
            info[key.strip()] = value.strip()
    return info


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def provenance(root, moongate, nginx):
    commit = _run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root)
    if _run(["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root):
        commit += " (with uncommitted changes)"
    return {
        "date": datetime.datetime.now(datetime.timezone.utc)
        .strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "branch": _run(["git", "rev-parse", "--abbrev-ref", "HEAD"], cwd=root),
        "machine": machine_info(),
        "moongate": _run([moongate, "-v"]).splitlines()[:1],
        "nginx": _run([nginx, "-v"]).splitlines()[:1],
    }


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def save(path, data):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        # Insertion order is the scenario order of the run: keep it.
        json.dump(data, f, indent=2)
        f.write("\n")


# ---- Markdown ----------------------------------------------------------------

def _num(v, digits=0):
    if v is None:
        return "?"
    return f"{v:,.{digits}f}"


def _ratio(a, b):
    if a is None or b in (None, 0):
        return "—"
    return f"{a / b:.2f}x"


def _cell(side, key, digits, scale=1.0):
    if not side.get("ok"):
        return "FAILED"
    v = side.get(key)
    return _num(v * scale if v is not None else None, digits)


def _pair(m, n, key, digits, scale=1.0):
    return f"{_cell(m, key, digits, scale)} / {_cell(n, key, digits, scale)}"


def _r(m, n, key):
    if not (m.get("ok") and n.get("ok")):
        return "—"
    return _ratio(m.get(key), n.get(key))


def _header(w):
    lines = []
    if w.get("quick"):
        lines += ["> **Quick, noisy run** (`bench/run --quick`: "
                  f"{w['settings']['rounds']} round, "
                  f"{w['settings']['duration']} s per measurement) on a "
                  "2-core machine shared with other engineers' builds. "
                  "Absolute numbers swing by ±40% and more here; read the "
                  "ratios, and re-run without `--quick` on a quiet machine "
                  "before drawing conclusions.", ""]
    p = w["provenance"]
    m = p["machine"]
    s = w["settings"]
    lines += [
        f"- Date: {p['date']}; commit `{p['commit']}` (branch "
        f"`{p['branch']}`)",
        f"- Machine: {m.get('Model name', '?')}, nproc {m.get('nproc')}, "
        f"kernel {m.get('kernel')}"
        + (f", hypervisor {m['Hypervisor vendor']}"
           if m.get("Hypervisor vendor") else ""),
        f"- Servers: moongate `{' '.join(p['moongate'])}`; "
        f"`{' '.join(p['nginx'])}` + ngx_lua (Debian)",
        f"- Load average at start / end: {w['load_start']} / "
        f"{w['load_end']}",
        f"- Method: each server `worker_processes 1`, pinned to CPU 0; "
        f"`wrk -t1 -c{s['connections']} -d{s['duration']}s --latency` "
        f"pinned to CPU 1 after a {s['warmup']} s warm-up; servers "
        f"alternate A B A B for {s['rounds']} round(s), each round on a "
        "fresh process; median over rounds (RSS: peak).",
        "",
    ]
    return lines


def wrk_markdown(w):
    out = ["## Run", ""] + _header(w)
    table = [
        "## Throughput, latency, memory, CPU", "",
        "`x` = moongate / nginx. Higher is better for req/s, lower for the "
        "rest. RSS = the worker's VmHWM (peak); anon = the worker's "
        "RssAnon after the measurement (its private memory: RSS also "
        "counts the pages of code it maps from the binary and libraries, "
        "which the page cache holds once for all processes); CPU = the "
        "worker's "
        "utime+stime per request; RSS growth = the worker's VmRSS after "
        "the measurement minus before, per request (a leak shows here; "
        "it also makes the peak RSS depend on how many requests ran).", "",
        "| scenario | req/s moongate | req/s nginx | req/s x "
        "| p50 ms mg / ng | p99 ms mg / ng | p99 x "
        "| RSS MB mg / ng | RSS x | anon MB mg / ng | anon x "
        "| CPU µs/req mg / ng | CPU x | RSS growth B/req mg / ng |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    if any(sc["kind"] == "wrk" for sc in w["scenarios"].values()):
        out += table
    specials = []
    for name, sc in w["scenarios"].items():
        m, n = sc["moongate"], sc["nginx"]
        if sc["kind"] != "wrk":
            specials.append((name, sc))
            continue
        rps = lambda side: (_num(side.get("rps")) if side.get("ok")
                            else "FAILED")
        out.append(
            f"| {name} | {rps(m)} | {rps(n)} | {_r(m, n, 'rps')} "
            f"| {_pair(m, n, 'p50_ms', 2)} | {_pair(m, n, 'p99_ms', 2)} "
            f"| {_r(m, n, 'p99_ms')} "
            f"| {_pair(m, n, 'rss_kb', 1, 1 / 1024)} | {_r(m, n, 'rss_kb')} "
            f"| {_pair(m, n, 'anon_kb', 1, 1 / 1024)} "
            f"| {_r(m, n, 'anon_kb')} "
            f"| {_pair(m, n, 'cpu_us_per_req', 1)} "
            f"| {_r(m, n, 'cpu_us_per_req')} "
            f"| {_pair(m, n, 'growth_b_per_req', 0)} |")
    out.append("")
    big = w["scenarios"].get("bigbody")
    if big:
        m, n = big["moongate"], big["nginx"]
        out += [f"bigbody (1 MB file), MB/s: moongate "
                f"{_cell(m, 'mb_per_s', 0)}, nginx {_cell(n, 'mb_per_s', 0)}"
                f" (x {_r(m, n, 'mb_per_s')}).", ""]
    for name, sc in specials:
        out += _special(name, sc)
    out += ["## Scenarios", ""]
    for name, sc in w["scenarios"].items():
        out.append(f"- `{name}`: {sc['summary']}")
    out.append("")
    fails = [(name, side, sc[side]) for name, sc in w["scenarios"].items()
             for side in SIDES if not sc[side].get("ok")]
    if fails:
        out += ["## Failed (reported as failed, never as fast)", ""]
        for name, side, r in fails:
            out.append(f"- {name} / {side}: {r.get('reason', '?')}")
        out.append("")
    return out


def _special(name, sc):
    m, n = sc["moongate"], sc["nginx"]
    if sc["kind"] == "conns":
        conns = m.get("conns") or n.get("conns") or 0
        rows = [f"## {name}: worker RSS with {conns:,} idle keep-alive "
                "connections", "", "| | moongate | nginx | x |",
                "|---|---:|---:|---:|"]
        for label, key, digits, scale in (
                ("RSS before, MB", "rss_idle_kb", 1, 1 / 1024),
                ("RSS holding them, MB", "rss_kb", 1, 1 / 1024),
                ("anon (private) holding them, MB", "anon_kb", 1, 1 / 1024),
                ("KB per connection", "kb_per_conn", 2, 1.0)):
            rows.append(f"| {label} | {_cell(m, key, digits, scale)} "
                        f"| {_cell(n, key, digits, scale)} "
                        f"| {_r(m, n, key)} |")
        return rows + [""]
    if sc["kind"] == "reload":
        rows = ["## reload: HUPs under load (target: 0 failed for both)",
                "", "Load from `bench/mgbench/loadclient.py` (50 keep-alive "
                "connections), not wrk: a request sent on a kept-alive "
                "connection the server closed while idle (what a worker "
                "shutting down after HUP does) is retried, as HTTP clients "
                "do, and counted as `retried`; anything else is `failed`.",
                "", "| | HUPs sent | workers seen | requests | retried "
                "| failed | verdict |", "|---|---:|---:|---:|---:|---:|---|"]
        for side in SIDES:
            r = sc[side]
            verdict = "ok" if r.get("ok") else "FAILED"
            rows.append(f"| {side} | {r.get('hups', '?')} "
                        f"| {r.get('workers_seen', '?')} "
                        f"| {_num(r.get('requests'))} "
                        f"| {_num(r.get('retried'))} "
                        f"| {_num(r.get('failed'))} | {verdict} |")
        return rows + [""]
    return []


def callgrind_markdown(c):
    p = c["provenance"]
    out = ["## Instructions per request (callgrind)", "",
           f"- Date: {p['date']}; commit `{p['commit']}`; "
           f"requests {c['counts'][0]:,} and {c['counts'][1]:,} (sequential, "
           "one keep-alive connection); `master_process off`; `strip -g` "
           "copies; `--smc-check=all-non-file`.",
           "- User-space instructions per request = difference of the two "
           "totals / difference of the counts. Reference: nginx+lua ~13.5k "
           "for hello. Repeatable where wall time is not.", "",
           "| scenario | moongate | nginx | x |", "|---|---:|---:|---:|"]
    fails = []
    for name, sc in c["scenarios"].items():
        cells = []
        for side in SIDES:
            r = sc[side]
            if r.get("ok"):
                cells.append(_num(r["instructions_per_req"]))
            else:
                cells.append("FAILED")
                fails.append(f"- {name} / {side}: {r.get('reason')}")
        out.append(f"| {name} | {cells[0]} | {cells[1]} "
                   f"| {_r(sc['moongate'], sc['nginx'], 'instructions_per_req')} |")
    out.append("")
    if fails:
        out += ["Failed:", ""] + fails + [""]
    return out


def markdown(data):
    out = ["# Moongate vs OpenResty (nginx + ngx_lua): benchmark results", "",
           "Generated by `bench/run` from `bench/results.json`; do not edit "
           "by hand. How to run: `make bench` or `bench/run` "
           "(`--quick`, `--rounds N`, `--scenarios a,b`, `--callgrind`; "
           "`bench/run --help`).", ""]
    if "wrk" in data:
        out += wrk_markdown(data["wrk"])
    if "callgrind" in data:
        out += callgrind_markdown(data["callgrind"])
    return "\n".join(out).rstrip() + "\n"


def rewrite(out_dir):
    """RESULTS.md again from results.json (after a change of layout)."""
    data = load(os.path.join(out_dir, "results.json"))
    with open(os.path.join(out_dir, "RESULTS.md"), "w") as f:
        f.write(markdown(data))


def write(out_dir, section, value):
    path = os.path.join(out_dir, "results.json")
    data = load(path)
    data[section] = value
    save(path, data)
    with open(os.path.join(out_dir, "RESULTS.md"), "w") as f:
        f.write(markdown(data))
