# vim:set ft= ts=4 sw=4 et fdm=marker:
# $upstream_addr, $upstream_status and the other $upstream_* lists survive an
# error_page internal redirect after a proxied error (nginx keeps
# r->upstream_states), and a second upstream after the redirect is appended
# after " : ".

use Test::Nginx::Socket::Lua;

repeat_each(1);
log_level('warn');

plan tests => repeat_each() * (blocks() * 3);

our $HttpConfig = qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        location / { return 200 "backend 1\\n"; }
        location /bad { return 502 "bad gateway from 1\\n"; }
    }
    upstream dead {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_5;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_4;
    }
};

our $Show = q{
    location @show {
        content_by_lua_block {
            local function p(v)
                if not v then return "nil" end
                return (v:gsub("$TEST_NGINX_RAND_PORT_1", "P1")
                         :gsub("$TEST_NGINX_RAND_PORT_4", "P4")
                         :gsub("$TEST_NGINX_RAND_PORT_5", "P5"))
            end
            ngx.say("addr=", p(ngx.var.upstream_addr),
                    " status=", p(ngx.var.upstream_status),
                    " sent=", ngx.var.upstream_bytes_sent and "yes" or "no")
        }
        log_by_lua_block {
            local v = ngx.var.upstream_addr or "nil"
            ngx.log(ngx.WARN, "log phase: ", ngx.var.upstream_status)
        }
    }
};

run_tests();

__DATA__

=== TEST 1: an intercepted 502 redirects to a named location that sees the upstream
--- http_config eval: $::HttpConfig
--- config eval
$::Show . q{
    location /t {
        proxy_intercept_errors on;
        error_page 502 = @show;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/bad;
    }
}
--- request
GET /t
--- response_body
addr=127.0.0.1:P1 status=502 sent=yes
--- error_log
log phase: 502



=== TEST 2: tries that failed to connect, then error_page
--- http_config eval: $::HttpConfig
--- config eval
$::Show . q{
    location /t {
        error_page 502 = @show;
        proxy_pass http://dead;
    }
}
--- request
GET /t
--- response_body
addr=127.0.0.1:P5, 127.0.0.1:P4 status=502, 502 sent=yes
--- error_log
log phase: 502, 502



=== TEST 3: a second upstream after the redirect is listed after " : "
--- http_config eval: $::HttpConfig
--- config eval
q{
    location /t {
        error_page 502 = @again;
        proxy_pass http://dead;
        log_by_lua_block {
            ngx.log(ngx.WARN, "never here")
        }
    }
    location @again {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        log_by_lua_block {
            local a = ngx.var.upstream_addr:gsub("%d+", "N")
            ngx.log(ngx.WARN, "log phase: ", a, " / ",
                    ngx.var.upstream_status)
        }
    }
}
--- request
GET /t
--- response_body
backend 1
--- error_log
log phase: N.N.N.N:N, N.N.N.N:N : N.N.N.N:N / 502, 502 : 200



=== TEST 4: an error_page redirect with no upstream before it has no $upstream_addr
--- http_config eval: $::HttpConfig
--- config eval
$::Show . q{
    location /t {
        error_page 404 = @show;
        return 404;
    }
}
--- request
GET /t
--- response_body
addr=nil status=nil sent=no
--- no_error_log
[error]
