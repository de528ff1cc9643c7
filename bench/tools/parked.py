#!/usr/bin/env python3
"""Issue 4's memory check: N concurrent requests that each park in ngx.sleep,
served by one worker; reports the worker's RSS growth per parked request.

Usage: bench/tools/parked.py BINARY [N]   (BINARY: moongate or /usr/sbin/nginx)
Starts the server in a temporary prefix on a free 127.0.0.1 port, stops it by pid.
"""
import os, shutil, signal, socket, subprocess, sys, tempfile, time

MODULES = ("load_module /usr/lib/nginx/modules/ndk_http_module.so;\n"
           "load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;\n")


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    binary = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    prefix = tempfile.mkdtemp(prefix="mg-parked-") + "/"
    os.makedirs(prefix + "conf")
    os.makedirs(prefix + "logs")
    conf = ("worker_processes 1;\ndaemon off;\nmaster_process off;\n"
            "error_log logs/error.log warn;\npid logs/nginx.pid;\n"
            "worker_rlimit_nofile 20000;\n"
            "events { worker_connections %d; }\n"
            "http {\n access_log off;\n server {\n  listen 127.0.0.1:%d backlog=16384;\n"
            "  location = /park { content_by_lua_block { ngx.sleep(3) ngx.say('ok') } }\n"
            " }\n}\n") % (n + 100, port)
    if "nginx" in os.path.basename(binary):
        conf = MODULES + conf
    with open(prefix + "conf/nginx.conf", "w") as f:
        f.write(conf)
    p = subprocess.Popen([binary, "-p", prefix, "-c", prefix + "conf/nginx.conf"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    socks = []
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.3)
        before = rss_kb(p.pid)
        req = b"GET /park HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        t0 = time.time()
        for _ in range(n):
            c = socket.create_connection(("127.0.0.1", port))
            c.sendall(req)
            socks.append(c)
        time.sleep(0.5)
        during = rss_kb(p.pid)
        elapsed = time.time() - t0
        ok = 0
        for c in socks:
            c.settimeout(10)
            data = b""
            try:
                while True:
                    d = c.recv(4096)
                    if not d:
                        break
                    data += d
            except OSError:
                pass
            if data.startswith(b"HTTP/1.1 200") and b"ok\n" in data:
                ok += 1
            c.close()
        socks = []
        print("%s: %d parked requests, %d answered 200 ok; worker RSS %.1f MB -> %.1f MB "
              "(%.0f bytes per parked request); opened in %.1f s"
              % (os.path.basename(binary), n, ok, before / 1024, during / 1024,
                 (during - before) * 1024 / n, elapsed))
    finally:
        for c in socks:
            c.close()
        p.send_signal(signal.SIGQUIT)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        shutil.rmtree(prefix, ignore_errors=True)


if __name__ == "__main__":
    main()
