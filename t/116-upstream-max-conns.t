# vim:set ft= ts=4 sw=4 et fdm=marker:
# server ... max_conns=N (ngx_http_upstream_round_robin.c): a peer with N requests of
# this worker on it is skipped; with none left, "no live upstreams" and a 502.

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

our $HttpConfig = <<'_EOC_';
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            content_by_lua_block {
                ngx.sleep(0.3)
                ngx.print("a")
            }
        }
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_2;
        location / {
            content_by_lua_block {
                ngx.sleep(0.3)
                ngx.print("b")
            }
        }
    }
_EOC_

run_tests();

__DATA__

=== TEST 1: a single server at max_conns: the next request gets 502 until the first is done
--- http_config eval
$::HttpConfig . "
    upstream capped {
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1} max_conns=1;
    }"
--- config
    location = /p { proxy_pass http://capped/; }
    location = /t {
        content_by_lua_block {
            local a, b = ngx.location.capture_multi({ { "/p" }, { "/p" } })
            ngx.say(a.status, " ", a.body, ", ", b.status)
            local c = ngx.location.capture("/p")
            ngx.say(c.status, " ", c.body)
        }
    }
--- request
GET /t
--- response_body
200 a, 502
200 a
--- error_log
no live upstreams while connecting to upstream



=== TEST 2: a heavier server at max_conns passes the concurrent request to the next one
--- http_config eval
$::HttpConfig . "
    upstream capped {
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1} weight=10 max_conns=1;
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_2};
    }
    upstream uncapped {
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1} weight=10;
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_2};
    }"
--- config
    location = /p { proxy_pass http://capped/; }
    location = /u { proxy_pass http://uncapped/; }
    location = /t {
        content_by_lua_block {
            local a, b = ngx.location.capture_multi({ { "/p" }, { "/p" } })
            ngx.say("capped: ", a.body, " ", b.body)
            local c, d = ngx.location.capture_multi({ { "/u" }, { "/u" } })
            ngx.say("uncapped: ", c.body, " ", d.body)
        }
    }
--- request
GET /t
--- response_body
capped: a b
uncapped: a a
--- no_error_log
[error]



=== TEST 3: max_conns=0 is no limit
--- http_config eval
$::HttpConfig . "
    upstream open {
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1} max_conns=0;
    }"
--- config
    location = /p { proxy_pass http://open/; }
    location = /t {
        content_by_lua_block {
            local a, b = ngx.location.capture_multi({ { "/p" }, { "/p" } })
            ngx.say(a.status, " ", b.status)
        }
    }
--- request
GET /t
--- response_body
200 200
--- no_error_log
[error]



=== TEST 4: an invalid max_conns refuses the configuration
--- http_config
    upstream bad {
        server 127.0.0.1:8080 max_conns=many;
    }
--- config
    location = /t { proxy_pass http://bad/; }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?invalid parameter "max_conns=many" in /\S+/conf/nginx\.conf:\d+}
