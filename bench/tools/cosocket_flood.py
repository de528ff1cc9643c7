#!/usr/bin/env python3
"""Cosocket memory under a flooding peer: a Lua handler connects to a server that
sends MB megabytes as fast as the connection takes them, while the handler calls
receive(4096) once a second (MODE=slow) or never (MODE=never) for SECONDS; reports
the worker's RSS before and after (one process: master_process off). MODE=body: the
client sends an MB megabyte request body that the handler reads with
ngx.req.socket() and receive(4096) once a second.

Usage: bench/tools/cosocket_flood.py BINARY [MODE] [MB] [SECONDS]
  BINARY: moongate or /usr/sbin/nginx (with Debian's ngx_lua modules)
Starts the flood server and the binary in a temporary prefix on free 127.0.0.1
ports, and stops both by pid.
"""
import os, re, shutil, socket, subprocess, sys, tempfile, threading, time

MODULES = ("load_module /usr/lib/nginx/modules/ndk_http_module.so;\n"
           "load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;\n")


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def flood_server(mb, ready, sent):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    ready.append(srv.getsockname()[1])
    c, _ = srv.accept()
    chunk = b"x" * (1024 * 1024)
    try:
        for _ in range(mb):
            c.sendall(chunk)
            sent[0] += len(chunk)
    except OSError:
        pass
    c.close()
    srv.close()


def main():
    binary = sys.argv[1]
    mode = sys.argv[2] if len(sys.argv) > 2 else "slow"
    mb = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    seconds = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    ready, sent = [], [0]
    if mode == "body":
        ready.append(0)
    else:
        threading.Thread(target=flood_server, args=(mb, ready, sent), daemon=True).start()
    while not ready:
        time.sleep(0.01)
    port = free_port()
    prefix = tempfile.mkdtemp(prefix="mg-flood-") + "/"
    os.makedirs(prefix + "conf")
    os.makedirs(prefix + "logs")
    reads = "sock:receive(4096)" if mode != "never" else ""
    if mode == "body":
        lua = ("local sock = assert(ngx.req.socket()) sock:settimeout(600000) "
               "local got = 0 for i = 1, %d do local d = %s "
               "if d then got = got + #d end ngx.sleep(1) end "
               "ngx.say('read ', got)" % (seconds, reads))
    else:
        lua = ("local sock = ngx.socket.tcp() sock:settimeout(600000) "
               "assert(sock:connect('127.0.0.1', %d)) local got = 0 "
               "for i = 1, %d do local d = %s if d then got = got + #d end "
               "ngx.sleep(1) end ngx.say('read ', got) sock:close()"
               % (ready[0], seconds, reads or "nil"))
    conf = ("worker_processes 1;\ndaemon off;\nmaster_process off;\n"
            "error_log logs/error.log warn;\npid logs/nginx.pid;\n"
            "events { worker_connections 64; }\n"
            "http {\n access_log off;\n client_max_body_size 0;\n server {\n  listen 127.0.0.1:%d;\n"
            "  location = /t { content_by_lua_block { %s } }\n"
            " }\n}\n") % (port, lua)
    if "nginx" in os.path.basename(binary):
        conf = MODULES + conf
    with open(prefix + "conf/nginx.conf", "w") as f:
        f.write(conf)
    p = subprocess.Popen([binary, "-p", prefix, "-c", prefix + "conf/nginx.conf"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.3)
        before = rss_kb(p.pid)
        c = socket.create_connection(("127.0.0.1", port))
        if mode == "body":
            c.sendall(b"POST /t HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                      b"Content-Length: %d\r\n\r\n" % (mb * 1048576))

            def upload():
                chunk = b"y" * 1048576
                try:
                    for _ in range(mb):
                        c.sendall(chunk)
                        sent[0] += len(chunk)
                except OSError:
                    pass
            threading.Thread(target=upload, daemon=True).start()
        else:
            c.sendall(b"GET /t HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        peak = before
        t0 = time.time()
        while time.time() - t0 < seconds - 0.5:
            time.sleep(0.25)
            peak = max(peak, rss_kb(p.pid))
        after = rss_kb(p.pid)
        c.settimeout(10)
        resp = b""
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                resp += d
        except OSError:
            pass
        m = re.search(rb"read \d+", resp)
        body = m.group(0).decode() if m else "no answer"
        if not m:
            with open(prefix + "logs/error.log") as f:
                body += "; error.log: " + f.read()[-600:]
        print("%s %s: flood of %d MB, receive(4096) %s for %d s; peer got %.1f MB into "
              "the kernel; worker RSS %.1f MB -> %.1f MB (peak %.1f MB, +%.1f MB); "
              "handler: %s" % (
                  os.path.basename(binary), mode, mb,
                  "never" if mode == "never" else "once a second", seconds,
                  sent[0] / 1048576.0, before / 1024.0, after / 1024.0, peak / 1024.0,
                  (peak - before) / 1024.0, body))
    finally:
        p.terminate()
        p.wait()
        shutil.rmtree(prefix, ignore_errors=True)


if __name__ == "__main__":
    main()
