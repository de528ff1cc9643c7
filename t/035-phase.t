# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.get_phase(): ported from lua-nginx-module t/091-coroutine.t's sibling
# t/103-phase.t (named t/099-c-api... in newer trees: ngx.get_phase cases).

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: get_phase in init_by_lua
--- http_config
    init_by_lua_block { package.loaded.init_phase = ngx.get_phase() }
--- config
    location /lua {
        content_by_lua_block { ngx.say(package.loaded.init_phase) }
    }
--- request
GET /lua
--- response_body
init



=== TEST 2: every request phase
--- config
    location /lua {
        set_by_lua_block $p { return ngx.get_phase() }
        rewrite_by_lua_block { ngx.ctx.r = ngx.get_phase() }
        access_by_lua_block { ngx.ctx.a = ngx.get_phase() }
        content_by_lua_block {
            ngx.say(ngx.var.p, " ", ngx.ctx.r, " ", ngx.ctx.a, " ", ngx.get_phase())
        }
        header_filter_by_lua_block { ngx.header.hf = ngx.get_phase() }
        body_filter_by_lua_block { ngx.ctx.bf = ngx.get_phase() }
        log_by_lua_block {
            ngx.log(ngx.WARN, "phases: ", ngx.ctx.bf, " ", ngx.get_phase())
        }
    }
--- request
GET /lua
--- response_body
set rewrite access content
--- response_headers
hf: header_filter
--- error_log
phases: body_filter log



=== TEST 3: get_phase in init_worker_by_lua
--- http_config
    init_worker_by_lua_block { package.loaded.iw_phase = ngx.get_phase() }
--- config
    location /lua {
        content_by_lua_block { ngx.say(package.loaded.iw_phase) }
    }
--- request
GET /lua
--- response_body
init_worker
