# vim:set ft= ts=4 sw=4 et fdm=marker:
# balancer_by_lua* and ngx.ctx across requests: a table set in the balancer is the
# request's (later phases see it); the next request on the connection starts without it.

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
log_level('warn');

run_tests();

__DATA__

=== TEST 1: ngx.ctx set in the balancer reaches the filters; the next requests start empty
--- http_config
    upstream lb {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            if ngx.ctx.n then
                ngx.log(ngx.ERR, "ctx seen before set: ", ngx.ctx.n)
            end
            if ngx.var.arg_n then
                ngx.ctx.n = ngx.var.arg_n
            end
            assert(b.set_current_peer("127.0.0.1", $TEST_NGINX_SERVER_PORT))
        }
    }
--- config
    location = /t {
        proxy_pass http://lb/b;
        header_filter_by_lua_block {
            ngx.header.content_length = nil
        }
        body_filter_by_lua_block {
            if ngx.arg[2] then
                ngx.arg[1] = (ngx.arg[1] or "") .. "ctx " .. tostring(ngx.ctx.n) .. "\n"
            end
        }
        log_by_lua_block {
            ngx.log(ngx.WARN, "log phase ctx: ", tostring(ngx.ctx.n))
        }
    }
    location = /b {
        return 200 "backend\n";
    }
--- pipelined_requests eval
["GET /t?n=1", "GET /t", "GET /t?n=2", "GET /t", "GET /t"]
--- response_body eval
["backend\nctx 1\n", "backend\nctx nil\n", "backend\nctx 2\n", "backend\nctx nil\n", "backend\nctx nil\n"]
--- error_log
log phase ctx: 1
log phase ctx: 2
log phase ctx: nil
--- no_error_log
[error]



=== TEST 2: the balancer's ngx.ctx with an access_by_lua ctx, then without, on one connection
--- http_config
    upstream lb {
        server 0.0.0.1;
        balancer_by_lua_block {
            local b = require "ngx.balancer"
            ngx.log(ngx.WARN, "balancer ctx: ", tostring(ngx.ctx.a))
            assert(b.set_current_peer("127.0.0.1", $TEST_NGINX_SERVER_PORT))
        }
    }
--- config
    location = /a {
        access_by_lua_block { ngx.ctx.a = "from access" }
        proxy_pass http://lb/b;
    }
    location = /t {
        proxy_pass http://lb/b;
    }
    location = /b {
        return 200 "backend\n";
    }
--- pipelined_requests eval
["GET /a", "GET /t", "GET /a"]
--- response_body eval
["backend\n", "backend\n", "backend\n"]
--- error_log
balancer ctx: from access
balancer ctx: nil
--- no_error_log
[error]
