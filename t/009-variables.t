# vim:set ft= ts=4 sw=4 et fdm=marker:
# Core variables and access_log with log_format.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: uri, request_uri, args, arg_X, is_args
--- config
    location /v { return 200 "$uri|$request_uri|$args|$arg_a|$arg_b|$is_args\n"; }
--- request
GET /v/x%20y?a=1&b=two
--- response_body
/v/x y|/v/x%20y?a=1&b=two|a=1&b=two|1|two|?



=== TEST 2: is_args empty without args
--- config
    location /v { return 200 "[$is_args][$args]\n"; }
--- request
GET /v
--- response_body
[][]



=== TEST 3: http_X and cookie_X
--- config
    location /v { return 200 "$http_user_agent|$http_x_foo_bar|$cookie_a|$cookie_b\n"; }
--- request
GET /v
--- more_headers
User-Agent: tester
X-Foo-Bar: fb
Cookie: a=1; b=2
--- response_body
tester|fb|1|2



=== TEST 4: host, remote_addr, server_port, request_method, scheme, server_protocol
--- config
    location /v { return 200 "$host|$remote_addr|$request_method|$scheme|$server_protocol|$server_addr\n"; }
--- request
GET /v
--- response_body
localhost|127.0.0.1|GET|http|HTTP/1.1|127.0.0.1



=== TEST 5: server_port
--- config
    location /v { return 200 "$server_port\n"; }
--- request
GET /v
--- response_body
$ServerPort



=== TEST 6: content_length and content_type
--- config
    location /v { return 200 "$content_length|$content_type\n"; }
--- request
POST /v
hello
--- more_headers
Content-Type: text/x-test
--- response_body
5|text/x-test



=== TEST 7: request_length and request_time are numbers
--- config
    location /v { return 200 "$request_length|$request_time|$msec\n"; }
--- request
GET /v
--- response_body_like
^\d+\|\d+\.\d{3}\|\d+\.\d{3}$



=== TEST 8: host falls back to server_name without a Host header
--- config
    location /v { return 200 "[$host]\n"; }
--- request eval
"GET /v HTTP/1.0\r\n"
--- response_body
[localhost]



=== TEST 9: arg names are case-insensitive, first match wins
--- config
    location /v { return 200 "$arg_foo\n"; }
--- request
GET /v?FOO=1&foo=2
--- response_body
1



=== TEST 10: access_log with a log_format is written
--- http_config
    log_format mine '$request_method $uri $status $body_bytes_sent "$http_x_tag" $args';
--- config
    location = /logged {
        access_log logs/mine.log mine;
        return 200 "12345";
    }
    location = /read {
        access_log off;
        content_by_lua_block {
            local f = io.open(ngx.config.prefix() .. "logs/mine.log")
            ngx.print(f:read("*a"))
            f:close()
        }
    }
--- pipelined_requests eval
["GET /logged?q=1", "GET /read"]
--- more_headers
X-Tag: t1
--- response_body eval
["12345", "GET /logged 200 5 \"t1\" q=1\n"]



=== TEST 11: sent_http_X and status in a log
--- http_config
    log_format h '$status $sent_http_x_out $sent_http_content_type';
--- config
    location = /logged {
        access_log logs/h.log h;
        add_header X-Out o1;
        return 404;
    }
    location = /read {
        access_log off;
        content_by_lua_block {
            local f = io.open(ngx.config.prefix() .. "logs/h.log")
            ngx.print(f:read("*a"))
            f:close()
        }
    }
--- pipelined_requests eval
["GET /logged", "GET /read"]
--- error_code eval
[404, 200]
--- response_body_like eval
["404 Not Found", "^404 - text/html\n\$"]



=== TEST 12: escaping of unsafe bytes in the default log format
--- http_config
    log_format e '$http_x_esc';
--- config
    location = /logged {
        access_log logs/e.log e;
        return 200 "x";
    }
    location = /read {
        access_log off;
        content_by_lua_block {
            local f = io.open(ngx.config.prefix() .. "logs/e.log")
            ngx.print(f:read("*a"))
            f:close()
        }
    }
--- pipelined_requests eval
["GET /logged", "GET /read"]
--- more_headers
X-Esc: a"b\c
--- response_body eval
["x", "a\\x22b\\x5Cc\n"]



=== TEST 13: escape=json
--- http_config
    log_format j escape=json '{"h":"$http_x_esc"}';
--- config
    location = /logged {
        access_log logs/j.log j;
        return 200 "x";
    }
    location = /read {
        access_log off;
        content_by_lua_block {
            local f = io.open(ngx.config.prefix() .. "logs/j.log")
            ngx.print(f:read("*a"))
            f:close()
        }
    }
--- pipelined_requests eval
["GET /logged", "GET /read"]
--- more_headers
X-Esc: a"b\c
--- response_body eval
["x", "{\"h\":\"a\\\"b\\\\c\"}\n"]



=== TEST 14: set variable used in a log format
--- http_config
    log_format s '$myvar';
--- config
    location = /logged {
        set $myvar "from-set";
        access_log logs/s.log s;
        return 200 "x";
    }
    location = /read {
        access_log off;
        content_by_lua_block {
            local f = io.open(ngx.config.prefix() .. "logs/s.log")
            ngx.print(f:read("*a"))
            f:close()
        }
    }
--- pipelined_requests eval
["GET /logged", "GET /read"]
--- response_body eval
["x", "from-set\n"]



=== TEST 15: unset variable in a log format is -
--- http_config
    log_format u '[$http_none]';
--- config
    location = /logged {
        access_log logs/u.log u;
        return 200 "x";
    }
    location = /read {
        access_log off;
        content_by_lua_block {
            local f = io.open(ngx.config.prefix() .. "logs/u.log")
            ngx.print(f:read("*a"))
            f:close()
        }
    }
--- pipelined_requests eval
["GET /logged", "GET /read"]
--- response_body eval
["x", "[-]\n"]



=== TEST 16: repeated headers: the first one, except Cookie and X-Forwarded-For
--- config
    location /v { return 200 "$http_x_rep|$http_cookie|$http_x_forwarded_for\n"; }
--- request
GET /v
--- more_headers
X-Rep: one
X-Rep: two
Cookie: a=1
Cookie: b=2
X-Forwarded-For: 1.1.1.1
X-Forwarded-For: 2.2.2.2
--- response_body
one|a=1; b=2|1.1.1.1, 2.2.2.2



=== TEST 17: status, pipe and connection_requests inside return
--- config
    location /v { return 200 "$status $pipe $connection_requests\n"; }
--- pipelined_requests eval
["GET /v", "GET /v"]
--- response_body eval
["200 . 1\n", "200 p 2\n"]



=== TEST 18: return does not read the body
--- config
    location /v { return 200 "[$request_body] $request_length\n"; }
--- request
POST /v
abc
--- response_body_like
^\[\] \d+$



=== TEST 19: request_completion in the log
--- http_config
    log_format c '$request_completion';
--- config
    location = /logged {
        access_log logs/c.log c;
        return 200 "x";
    }
    location = /read {
        access_log off;
        content_by_lua_block {
            local f = io.open(ngx.config.prefix() .. "logs/c.log")
            ngx.print(f:read("*a"))
            f:close()
        }
    }
--- pipelined_requests eval
["GET /logged", "GET /read"]
--- response_body eval
["x", "OK\n"]
