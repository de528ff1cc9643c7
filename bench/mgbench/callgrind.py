"""Instruction counts: user-space instructions per request under callgrind.

Each server runs with `master_process off; daemon off;` under
`valgrind --tool=callgrind --smc-check=all-non-file` (the JIT writes code), on
a `strip -g` copy of its binary. It serves n1 then, in a second run, n2
sequential keep-alive requests; (total(n2) - total(n1)) / (n2 - n1) cancels
start-up, JIT warm-up and shutdown, and is repeatable where wall time is not.
"""

import glob
import os
import re
import shutil
import signal
import subprocess

from . import clients, procs, servers
from .conf import make_prefix


def stripped_copy(binary, tmp, name):
    path = os.path.join(tmp, "bin", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    subprocess.run(["strip", "-g", "-o", path, binary], check=True)
    shutil.copymode(binary, path)
    return path


def totals(prefix):
    """Summed `totals:` (else `summary:`) of the callgrind files in prefix."""
    total = 0
    files = glob.glob(prefix + "callgrind.out.*")
    for path in files:
        with open(path, errors="replace") as f:
            text = f.read()
        m = re.search(r"^totals:\s+(\d+)", text, re.M) or \
            re.search(r"^summary:\s+(\d+)", text, re.M)
        if not m:
            raise RuntimeError(f"no totals in {path}")
        total += int(m.group(1))
    if not files:
        raise RuntimeError(f"callgrind wrote no output in {prefix}")
    return total


def count_run(ctx, scenario, side, port, n):
    """Total instructions of one server run that served n requests (+1 check)."""
    text = scenario.render(ctx.values(port), master_process=False)
    text = text.replace("daemon            on;", "daemon            off;")
    prefix = make_prefix(ctx.tmp, f"cg-{scenario.name}-{side.name}-{n}",
                         text, nginx=side.nginx)
    # --dump-instr: bench/tools/link-order also reads which instructions ran per request.
    argv = ["valgrind", "--tool=callgrind", "--smc-check=all-non-file", "--dump-instr=yes",
            f"--callgrind-out-file={prefix}callgrind.out.%p"]
    srv, err = servers.start(ctx.registry, side, argv, prefix, port,
                             timeout=180.0, want_workers=False)
    if err:
        raise RuntimeError(err)
    try:
        status, body = clients.get(port, scenario.path, timeout=60)
        if status != 200:
            raise RuntimeError(f"GET {scenario.path} -> {status or body}"
                               + (f"; log: {srv.problem()}"
                                  if srv.problem() else ""))
        ok = clients.sequential(port, scenario.path, n, timeout=120)
        if ok != n:
            raise RuntimeError(f"{n - ok} of {n} requests failed")
    finally:
        ctx.registry.stop(srv.proc, sig=signal.SIGTERM, timeout=120.0)
    return totals(prefix)


def measure(ctx, scenario, side, counts):
    """Instructions per request for one scenario on one side."""
    n1, n2 = counts
    port = procs.free_port()
    try:
        t1 = count_run(ctx, scenario, side, port, n1)
        t2 = count_run(ctx, scenario, side, port, n2)
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        return {"ok": False, "reason": servers.clip(str(e))}
    return {"ok": True, "counts": [n1, n2], "totals": [t1, t2],
            "instructions_per_req": (t2 - t1) / (n2 - n1)}
