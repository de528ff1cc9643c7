"""What the harness needs on the machine, installed when run as root."""

import os
import shutil
import subprocess
import sys

PACKAGES = ["nginx-core", "libnginx-mod-http-lua", "lua-resty-core", "wrk",
            "redis-server", "lua-cjson", "util-linux", "binutils"]
CALLGRIND_PACKAGES = ["valgrind"]
NGINX = "/usr/sbin/nginx"
NGINX_MODULES = ["/usr/lib/nginx/modules/ndk_http_module.so",
                 "/usr/lib/nginx/modules/ngx_http_lua_module.so"]


def installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       text=True)
    return r.returncode == 0 and "install ok installed" in r.stdout


def ensure_packages(callgrind, allow_install):
    wanted = PACKAGES + (CALLGRIND_PACKAGES if callgrind else [])
    missing = [p for p in wanted if not installed(p)]
    if not missing:
        return
    if os.geteuid() != 0 or not allow_install:
        sys.exit("bench: missing Debian packages: " + " ".join(missing)
                 + "\n  install them (apt-get install " + " ".join(missing)
                 + ") or run bench/run as root")
    print("bench: installing " + " ".join(missing), flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq"] + missing, check=True,
                   env=env)
    if "nginx-core" in missing:
        # Debian starts its default instance, which would hold port 80.
        subprocess.run(["service", "nginx", "stop"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    still = [p for p in wanted if not installed(p)]
    if still:
        sys.exit("bench: still missing after apt-get: " + " ".join(still))


def check_files():
    missing = [p for p in [NGINX] + NGINX_MODULES if not os.path.exists(p)]
    for tool in ("wrk", "taskset", "redis-server", "strip"):
        if not shutil.which(tool):
            missing.append(tool)
    if missing:
        sys.exit("bench: missing: " + ", ".join(missing))
    if (os.cpu_count() or 1) < 2:
        sys.exit("bench: needs 2 CPUs (server on CPU 0, wrk on CPU 1)")


def ensure_moongate(root, binary, allow_build):
    """The release binary; built with swift if it is not there."""
    if os.path.exists(binary):
        return
    if not allow_build:
        sys.exit(f"bench: {binary} is missing (make build)")
    print("bench: building moongate (release, make build)", flush=True)
    subprocess.run(["make", "build"], cwd=root, check=True)
    if not os.path.exists(binary):
        sys.exit(f"bench: the build did not produce {binary}")
