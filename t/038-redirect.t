# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.redirect: ported from lua-nginx-module t/022-redirect.t.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: default 302
--- config
    location /read {
        content_by_lua_block { ngx.redirect("http://www.taobao.com/foo") ngx.say("hi") }
    }
--- request
GET /read
--- response_headers
Location: http://www.taobao.com/foo
--- error_code: 302
--- response_body_like: 302 Found



=== TEST 2: explicit 302
--- config
    location /read {
        content_by_lua_block { ngx.redirect("http://www.taobao.com/foo", ngx.HTTP_MOVED_TEMPORARILY) }
    }
--- request
GET /read
--- response_headers
Location: http://www.taobao.com/foo
--- error_code: 302



=== TEST 3: explicit 301
--- config
    location /read {
        content_by_lua_block { ngx.redirect("http://www.taobao.com/foo", ngx.HTTP_MOVED_PERMANENTLY) }
    }
--- request
GET /read
--- response_headers
Location: http://www.taobao.com/foo
--- error_code: 301
--- response_body_like: 301 Moved Permanently



=== TEST 4: bad status
--- config
    location /read {
        content_by_lua_block { ngx.redirect("http://www.taobao.com/foo", 404) }
    }
--- request
GET /read
--- error_code: 500
--- error_log
only ngx.HTTP_MOVED_TEMPORARILY, ngx.HTTP_MOVED_PERMANENTLY, ngx.HTTP_PERMANENT_REDIRECT, ngx.HTTP_SEE_OTHER, and ngx.HTTP_TEMPORARY_REDIRECT are allowed



=== TEST 5: 303, 307, 308
--- config
    location /read {
        content_by_lua_block { ngx.redirect("/foo", tonumber(ngx.var.arg_s)) }
    }
--- request eval
["GET /read?s=303", "GET /read?s=307", "GET /read?s=308"]
--- error_code eval
[303, 307, 308]
--- ignore_response



=== TEST 6: relative uri stays relative (ngx_lua marks its Location header)
--- config
    location /read {
        content_by_lua_block { ngx.redirect("/foo") }
    }
--- request
GET /read
--- error_code: 302
--- response_headers
Location: /foo



=== TEST 7: redirect in rewrite
--- config
    location /read {
        rewrite_by_lua_block { ngx.redirect("/rw") }
        content_by_lua_block { ngx.say("not reached") }
    }
--- request
GET /read
--- error_code: 302
--- response_body_like: 302 Found



=== TEST 8: redirect after output
--- config
    location /read {
        content_by_lua_block {
            ngx.say("hi")
            ngx.redirect("/foo")
        }
    }
--- request
GET /read
--- ignore_response
--- error_log
attempt to call ngx.redirect after sending out the headers
