"""Scenario confs (bench/conf/*.conf) and the prefixes rendered from them.

A scenario conf is an nginx.conf with placeholders (@PORT@, @BACKEND_PORT@,
@REDIS_PORT@, @PREFIX@) and a header of `#: key value` lines:
  path     the URL path wrk requests
  expect   a string the response body must contain (checked before measuring)
  kind     wrk (default), conns or reload
  needs    backend and/or redis
The same rendered text serves both servers; the nginx copy only gets the two
load_module lines prepended.
"""

import os
import re

NGINX_MODULES = (
    "load_module /usr/lib/nginx/modules/ndk_http_module.so;\n"
    "load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;\n"
)


class Scenario:
    def __init__(self, path):
        self.file = path
        self.name = os.path.splitext(os.path.basename(path))[0]
        with open(path) as f:
            self.template = f.read()
        self.meta = {"path": "/", "kind": "wrk", "expect": "", "needs": ""}
        words = []
        done = False
        for line in self.template.splitlines():
            if line.startswith("#:"):
                key, _, value = line[2:].strip().partition(" ")
                self.meta[key] = value.strip()
            elif line.startswith("# ") and not done:
                words.append(line[2:].strip())
                done = line.rstrip().endswith(".")
            elif not line.startswith("#"):
                break
        # The first sentence of the header, without its "name:" lead.
        summary = " ".join(words)
        if summary.startswith(self.name + ":"):
            summary = summary[len(self.name) + 1:].strip()
        self.summary = summary

    @property
    def kind(self):
        return self.meta["kind"]

    @property
    def path(self):
        return self.meta["path"]

    @property
    def needs(self):
        return self.meta["needs"].split()

    def render(self, values, master_process=True):
        """The conf text for one run; `worker_processes 1` is enforced."""
        text = self.template
        for key, value in values.items():
            text = text.replace(f"@{key}@", str(value))
        text = re.sub(r"(?m)^(\s*)worker_processes\s+[^;]*;",
                      r"\1worker_processes  1;", text)
        mode = "on" if master_process else "off"
        text = re.sub(r"(?m)^(\s*)master_process\s+[^;]*;",
                      rf"\1master_process    {mode};", text)
        left = re.findall(r"@[A-Z_]+@", text)
        if left:
            raise ValueError(f"{self.file}: no value for {', '.join(left)}")
        return text


# Cheapest first; any other conf in the directory runs after these.
ORDER = ["static", "file", "hello", "phases", "json", "shdict", "proxy",
         "balancer", "cosocket", "bigbody", "conns", "reload"]


def load_scenarios(conf_dir, only=None):
    names = sorted((n for n in os.listdir(conf_dir) if n.endswith(".conf")),
                   key=lambda n: (ORDER.index(n[:-5]) if n[:-5] in ORDER
                                  else len(ORDER), n))
    scenarios = [Scenario(os.path.join(conf_dir, n)) for n in names]
    if only:
        known = {s.name for s in scenarios}
        unknown = [n for n in only if n not in known]
        if unknown:
            raise SystemExit(f"unknown scenario(s): {', '.join(unknown)}; "
                             f"known: {', '.join(sorted(known))}")
        order = {n: i for i, n in enumerate(only)}
        scenarios = sorted((s for s in scenarios if s.name in order),
                           key=lambda s: order[s.name])
    return scenarios


def make_prefix(root, name, text, nginx):
    """Writes PREFIX/{conf/nginx.conf,logs/,html/} and returns PREFIX/."""
    prefix = os.path.join(root, name) + "/"
    for sub in ("conf", "logs", "html"):
        os.makedirs(prefix + sub, exist_ok=True)
    with open(prefix + "conf/nginx.conf", "w") as f:
        f.write((NGINX_MODULES if nginx else "") + text)
    write_docs(prefix + "html")
    return prefix


def write_docs(html):
    """The files the `file` and `bigbody` scenarios serve."""
    line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n"
    for name, size in (("4k.html", 4096), ("1m.bin", 1 << 20)):
        path = os.path.join(html, name)
        if os.path.exists(path) and os.path.getsize(path) == size:
            continue
        data = (line * (size // len(line) + 1))[:size]
        with open(path, "wb") as f:
            f.write(data)
