# vim:set ft= ts=4 sw=4 et fdm=marker:
# balancer_by_lua*: choosing the peer, retries with set_more_tries and
# get_last_failure, ngx.ctx shared with the request, errors.

use Test::Nginx::Socket::Lua;

repeat_each(1);
log_level('warn');

plan tests => repeat_each() * (blocks() * 3);

our $Backends = qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "backend 1\n";
        }
    }
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
        location / {
            return 200 "backend 3 \$request_uri\n";
        }
        location /e {
            return 503 "unavailable\n";
        }
    }
};

run_tests();

__DATA__

=== TEST 1: set_current_peer chooses the backend
--- http_config eval
$::Backends . qq{
    upstream lb {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            local ok, err = b.set_current_peer("127.0.0.1",
                                               \$TEST_NGINX_RAND_PORT_3)
            if not ok then
                ngx.log(ngx.ERR, "failed to set peer: ", err)
                return ngx.exit(500)
            end
        }
    }
}
--- config
    location /t {
        proxy_pass http://lb;
    }
--- request
GET /t?a=1
--- response_body
backend 3 /t?a=1
--- no_error_log
[error]



=== TEST 2: ngx.ctx is shared with the request, get_phase is balancer
--- http_config eval
$::Backends . qq{
    upstream lb {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            ngx.log(ngx.WARN, "phase: ", ngx.get_phase())
            assert(b.set_current_peer("127.0.0.1", ngx.ctx.port))
        }
    }
}
--- config
    location /t {
        access_by_lua_block {
            ngx.ctx.port = $TEST_NGINX_RAND_PORT_1
        }
        proxy_pass http://lb;
    }
--- request
GET /t
--- response_body
backend 1
--- error_log
phase: balancer



=== TEST 3: set_more_tries and get_last_failure across a refused peer
--- http_config eval
$::Backends . qq{
    upstream lb {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            local state, status = b.get_last_failure()
            ngx.log(ngx.WARN, "last failure: ", state, " ", status)
            if not state then
                assert(b.set_more_tries(1))
                assert(b.set_current_peer("127.0.0.1",
                                          \$TEST_NGINX_RAND_PORT_2))
            else
                assert(b.set_current_peer("127.0.0.1",
                                          \$TEST_NGINX_RAND_PORT_3))
            end
        }
    }
}
--- config
    location /t {
        proxy_pass http://lb;
        header_filter_by_lua_block {
            ngx.header["X-Addr"] = ngx.var.upstream_addr
        }
    }
--- request
GET /t
--- response_body
backend 3 /t
--- grep_error_log eval: qr/last failure: \w+ \w+/
--- grep_error_log_out
last failure: nil nil
last failure: failed 502



=== TEST 4: without more tries a refused peer gives 502
--- http_config eval
$::Backends . qq{
    upstream lb {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            assert(b.set_current_peer("127.0.0.1", \$TEST_NGINX_RAND_PORT_2))
        }
    }
}
--- config
    location /t {
        proxy_pass http://lb;
    }
--- request
GET /t
--- error_code: 502
--- response_body_like: 502 Bad Gateway
--- error_log
connect() failed (111: Connection refused) while connecting to upstream



=== TEST 5: http_503 with next_upstream retries; last failure is "failed 503"
--- http_config eval
$::Backends . qq{
    upstream lb {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            local state, status = b.get_last_failure()
            if not state then
                b.set_more_tries(1)
                assert(b.set_current_peer("127.0.0.1",
                                          \$TEST_NGINX_RAND_PORT_3))
            else
                ngx.log(ngx.WARN, "last failure: ", state, " ", status)
                assert(b.set_current_peer("127.0.0.1",
                                          \$TEST_NGINX_RAND_PORT_1))
            end
        }
    }
}
--- config
    location /e {
        proxy_next_upstream error http_503;
        proxy_pass http://lb;
    }
--- request
GET /e
--- response_body
backend 1
--- error_log
last failure: failed 503



=== TEST 6: set_more_tries is reduced by proxy_next_upstream_tries
--- http_config eval
$::Backends . qq{
    upstream lb {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            local ok, err = b.set_more_tries(10)
            ngx.log(ngx.WARN, "more tries: ", ok, " ", err)
            assert(b.set_current_peer("127.0.0.1", \$TEST_NGINX_RAND_PORT_1))
        }
    }
}
--- config
    location /t {
        proxy_next_upstream_tries 2;
        proxy_pass http://lb;
    }
--- request
GET /t
--- response_body
backend 1
--- error_log
more tries: true reduced tries due to limit



=== TEST 7: a Lua error in the balancer gives 500
--- http_config eval
$::Backends . qq{
    upstream lb {
        server 0.0.0.1;
        balancer_by_lua_block {
            error("boom")
        }
    }
}
--- config
    location /t {
        proxy_pass http://lb;
    }
--- request
GET /t
--- error_code: 500
--- response_body_like: 500 Internal Server Error
--- error_log
failed to run balancer_by_lua*: balancer_by_lua(nginx.conf:



=== TEST 8: set_current_peer refuses a host name
--- http_config eval
$::Backends . qq{
    upstream lb {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            local ok, err = b.set_current_peer("example.com", 80)
            ngx.log(ngx.WARN, "set peer: ", ok, " ", err)
            assert(b.set_current_peer("127.0.0.1", \$TEST_NGINX_RAND_PORT_1))
        }
    }
}
--- config
    location /t {
        proxy_pass http://lb;
    }
--- request
GET /t
--- response_body
backend 1
--- error_log
set peer: nil no host allowed



=== TEST 9: ngx.balancer outside balancer_by_lua
--- config
    location /t {
        content_by_lua_block {
            local b = require "ngx.balancer"
            ngx.say(b.set_current_peer("127.0.0.1", 80))
        }
    }
--- request
GET /t
--- response_body
nilno upstream found
--- no_error_log
[error]



=== TEST 10: set_timeouts read timeout gives 504
--- http_config eval
$::Backends . qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_4;
        location / {
            content_by_lua_block {
                ngx.sleep(1)
                ngx.say("slow")
            }
        }
    }
    upstream lb {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            assert(b.set_timeouts(1, 1, 0.2))
            assert(b.set_current_peer("127.0.0.1", \$TEST_NGINX_RAND_PORT_4))
        }
    }
}
--- config
    location /t {
        proxy_pass http://lb;
    }
--- request
GET /t
--- error_code: 504
--- response_body_like: 504 Gateway Time-out
--- error_log
upstream timed out (110: Connection timed out) while reading response header from upstream



=== TEST 11: set_timeouts rejects a bad value
--- http_config eval
$::Backends . qq{
    upstream lb {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            local ok, err = pcall(b.set_timeouts, -1)
            ngx.log(ngx.WARN, "set_timeouts: ", err)
            assert(b.set_current_peer("127.0.0.1", \$TEST_NGINX_RAND_PORT_1))
        }
    }
}
--- config
    location /t {
        proxy_pass http://lb;
    }
--- request
GET /t
--- response_body
backend 1
--- error_log
set_timeouts: bad connect timeout



=== TEST 12: balancer_by_lua_file
--- http_config eval
$::Backends . qq{
    upstream lb {
        server 0.0.0.1;
        balancer_by_lua_file html/bal.lua;
    }
}
--- config
    location /t {
        set $backend_port $TEST_NGINX_RAND_PORT_1;
        proxy_pass http://lb;
    }
--- user_files
>>> bal.lua
local b = require "ngx.balancer"
assert(b.set_current_peer("127.0.0.1", tonumber(ngx.var.backend_port)))
--- request
GET /t
--- response_body
backend 1
--- no_error_log
[error]
