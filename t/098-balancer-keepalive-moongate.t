# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.balancer.enable_keepalive: Moongate only. The reference's
# lua-resty-core 0.1.25 predates enable_keepalive (added in 0.1.26 with
# ngx_lua 0.10.24), so these tests cannot run against it.

use Test::Nginx::Socket::Lua;

repeat_each(1);
log_level('warn');

plan tests => repeat_each() * (blocks() * 3);

our $HttpConfig = qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "req \$connection_requests\n";
        }
    }
};

run_tests();

__DATA__

=== TEST 1: enable_keepalive reuses the connection to the chosen peer
--- http_config eval
$::HttpConfig . qq{
    upstream lb {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            assert(b.set_current_peer("127.0.0.1", \$TEST_NGINX_RAND_PORT_1))
            assert(b.enable_keepalive(10, 100))
        }
    }
}
--- config
    location /t {
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_pass http://lb;
    }
--- request eval
["GET /t", "GET /t"]
--- response_body eval
["req 1\n", "req 2\n"]
--- no_error_log
[error]



=== TEST 2: enable_keepalive before set_current_peer
--- http_config eval
$::HttpConfig . qq{
    upstream lb {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            local ok, err = b.enable_keepalive()
            ngx.log(ngx.WARN, "keepalive: ", ok, " ", err)
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
req 1
--- error_log
keepalive: nil no current peer set



=== TEST 3: enable_keepalive with a bad argument
--- http_config eval
$::HttpConfig . qq{
    upstream lb {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            assert(b.set_current_peer("127.0.0.1", \$TEST_NGINX_RAND_PORT_1))
            local ok, err = pcall(b.enable_keepalive, "x")
            ngx.log(ngx.WARN, "keepalive: ", err)
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
req 1
--- error_log
keepalive: bad argument #1 to 'enable_keepalive' (number expected, got string)
