# Moongate: `make run` and `make test` on a fresh Debian 12 machine.

SWIFT ?= swift
# Debug builds keep NIO's assertions out: workers share one listening socket (nginx's
# model), and NIO asserts in debug builds that every readable event accepts something,
# which another worker may have done first.
DEBUG_FLAGS := -Xswiftc -assert-config -Xswiftc Release
PREFIX := $(CURDIR)/
APT_BUILD := pkg-config libssl-dev libpcre2-dev zlib1g-dev
APT_RUNTIME := lua-cjson
APT_TEST := nginx-core libnginx-mod-http-lua
# Servers the real-library specs (t/deps) talk to on loopback.
APT_TEST_SERVERS := redis-server dnsmasq-base memcached
NGINX_MODULES := /usr/lib/nginx/modules/ndk_http_module.so /usr/lib/nginx/modules/ngx_http_lua_module.so

.PHONY: all deps deps-servers build debug run test unit spec spec-deps spec-reference bench clean

all: build

# Installs what is missing (as root). LuaJIT: Debian's libluajit-5.1-dev, unless a
# compatible one (libluajit2-5.1-dev, OpenResty's branch) already provides pkg-config luajit.
deps:
	@missing=""; \
	for p in $(APT_BUILD) $(APT_RUNTIME); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	pkg-config --exists luajit 2>/dev/null || missing="$$missing libluajit-5.1-dev"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else \
			echo "missing Debian packages:$$missing (run as root or install them)"; exit 1; \
		fi; \
	fi

# The reference (nginx + ngx_lua) the specs are also checked against.
deps-reference: deps
	@missing=""; \
	for p in $(APT_TEST); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
			service nginx stop >/dev/null 2>&1 || true; \
			pkg-config --exists luajit || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libluajit2-5.1-dev; \
		else \
			echo "missing Debian packages:$$missing"; exit 1; \
		fi; \
	fi

deps-servers:
	@missing=""; \
	for p in $(APT_TEST_SERVERS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
			service redis-server stop >/dev/null 2>&1 || true; service memcached stop >/dev/null 2>&1 || true; \
		else \
			echo "missing Debian packages:$$missing"; exit 1; \
		fi; \
	fi

# Release builds turn off Swift's dynamic exclusivity checks in every module, SwiftNIO
# included (Package.swift can only do it for ours): about 6k instructions per request.
# Every function gets a section of its own (Swift gives one only to public functions,
# the rest share their file's .text), so Sources/moongate/link-order.txt can place each
# one: the code a worker runs sits together and fewer pages of it are resident.
RELEASE_FLAGS := -Xswiftc -enforce-exclusivity=unchecked \
	-Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections

# The release server links the Swift runtime in (--static-swift-stdlib): no PLT hop on
# each retain/release (hello 26.2k -> 24.7k instructions/request), and its functions
# can be placed by Sources/moongate/link-order.txt (see Package.swift).
build: deps
	@# libstdc++ (the Swift runtime's) goes in statically: where clang finds it, for
	@# Package.swift's -L .build/static-libs (without it the link uses the shared one).
	@mkdir -p .build/static-libs; a=$$(clang -print-file-name=libstdc++.a 2>/dev/null); \
		if [ -f "$$a" ]; then \
			if [ "$$(readlink .build/static-libs/libstdc++.a)" != "$$a" ]; then \
				ln -sf "$$a" .build/static-libs/libstdc++.a; rm -f .build/release/moongate; fi; \
		elif [ -e .build/static-libs/libstdc++.a ]; then \
			rm -f .build/static-libs/libstdc++.a .build/release/moongate; fi
	@# SwiftPM does not relink when only the link order or a linker script changed.
	@if [ Sources/moongate/link-order.txt -nt .build/release/moongate ] || \
		[ Sources/moongate/link-order.ld -nt .build/release/moongate ] || \
		[ Sources/moongate/rodata.ld -nt .build/release/moongate ]; then rm -f .build/release/moongate; fi
	@# Nor does swiftc recompile when only code generation flags changed (it skips LLVM
	@# for files whose IR is unchanged): drop the objects when RELEASE_FLAGS change.
	@if [ -d .build ] && [ "$$(cat .build/release-flags 2>/dev/null)" != "$(RELEASE_FLAGS)" ]; then \
		find .build -path '*/release/*' -name '*.swift.o' -delete; echo "$(RELEASE_FLAGS)" > .build/release-flags; fi
	$(SWIFT) build -c release --product moongate --static-swift-stdlib $(RELEASE_FLAGS)

debug: deps
	$(SWIFT) build --build-tests $(DEBUG_FLAGS)

run: build
	mkdir -p logs
	.build/release/moongate -p $(PREFIX) -c conf/nginx.conf

unit: debug
	$(SWIFT) test --skip-build $(DEBUG_FLAGS)

spec: debug
	TEST_NGINX_BINARY=$(CURDIR)/.build/debug/moongate .build/debug/mgprove t/

# Runs every spec against Debian's nginx + ngx_lua: a spec the reference fails is wrong.
spec-reference: deps-reference debug
	TEST_NGINX_BINARY=/usr/sbin/nginx TEST_NGINX_LOAD_MODULES="$(NGINX_MODULES)" \
		.build/debug/mgprove t/

# Real OpenResty libraries, unmodified, against private servers on loopback
# (lua-resty-redis against redis-server, lua-resty-dns against dnsmasq,
# lua-resty-memcached against memcached, lua-resty-string, -lrucache, -websocket).
# The debug build under test, unless TEST_NGINX_BINARY names another server.
SPEC_BINARY = $${TEST_NGINX_BINARY:-$(CURDIR)/.build/debug/moongate}

spec-deps: debug deps-servers
	TEST_NGINX_BINARY=$(SPEC_BINARY) sh t/deps/run-redis.sh
	TEST_NGINX_BINARY=$(SPEC_BINARY) sh t/deps/run-dns.sh
	TEST_NGINX_BINARY=$(SPEC_BINARY) sh t/deps/run-resolver.sh
	TEST_NGINX_BINARY=$(SPEC_BINARY) sh t/deps/run-libs.sh

# Every spec against the release binary as `make build` links it: what only that link
# can break (the FFI's exported symbols, the static runtime, the function order).
spec-release: debug build
	TEST_NGINX_BINARY=$(CURDIR)/.build/release/moongate .build/debug/mgprove t/

test: unit spec-deps spec spec-release

bench: build
	bench/run

clean:
	rm -rf .build t/servroot
