# vim:set ft= ts=4 sw=4 et fdm=marker:
# The charset filter (ngx_http_charset_filter_module): `; charset=NAME` after the
# Content-Type of charset_types. Moongate does not recode: a recoding configuration is
# refused (t/017-charset-moongate.t), and at run time it logs nginx's "no charset_map".

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: charset adds the parameter to text/html from Lua
--- config
    location = /t {
        charset utf-8;
        default_type text/html;
        content_by_lua_block { ngx.say("ok") }
    }
--- request
GET /t
--- response_headers
Content-Type: text/html; charset=utf-8
--- response_body
ok



=== TEST 2: the default charset_types; other types unchanged
--- config
    location = /t {
        charset koi8-r;
        content_by_lua_block {
            ngx.header.content_type = ngx.var.arg_t
            ngx.say("ok")
        }
    }
    location = /all {
        content_by_lua_block {
            for _, t in ipairs{"text/html", "text/xml", "text/plain",
                               "text/vnd.wap.wml", "application/javascript",
                               "application/rss+xml", "text/css", "application/json",
                               "image/png", "TEXT/PLAIN"} do
                local sock = ngx.socket.tcp()
                sock:connect("127.0.0.1", ngx.var.server_port)
                sock:send("GET /t?t=" .. t .. " HTTP/1.0\r\n\r\n")
                local data = sock:receive("*a")
                sock:close()
                ngx.say(t, " => ", data:match("Content%-Type: ([^\r]*)"))
            end
        }
    }
--- request
GET /all
--- response_body
text/html => text/html; charset=koi8-r
text/xml => text/xml; charset=koi8-r
text/plain => text/plain; charset=koi8-r
text/vnd.wap.wml => text/vnd.wap.wml; charset=koi8-r
application/javascript => application/javascript; charset=koi8-r
application/rss+xml => application/rss+xml; charset=koi8-r
text/css => text/css
application/json => application/json
image/png => image/png
TEXT/PLAIN => TEXT/PLAIN; charset=koi8-r



=== TEST 3: a Content-Type with parameters is left alone
--- config
    location = /t {
        charset utf-8;
        content_by_lua_block {
            ngx.header.content_type = "text/html; charset=koi8-r"
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_headers
Content-Type: text/html; charset=koi8-r



=== TEST 4: charset_types adds types; * takes all
--- config
    location = /css {
        charset utf-8;
        charset_types text/css application/json;
        content_by_lua_block {
            ngx.header.content_type = ngx.var.arg_t
            ngx.say("ok")
        }
    }
    location = /any {
        charset utf-8;
        charset_types *;
        default_type image/png;
        content_by_lua_block { ngx.say("ok") }
    }
    location = /t {
        content_by_lua_block {
            for _, u in ipairs{"/css?t=text/css", "/css?t=application/json",
                               "/css?t=text/html", "/css?t=text/plain", "/any"} do
                local sock = ngx.socket.tcp()
                sock:connect("127.0.0.1", ngx.var.server_port)
                sock:send("GET " .. u .. " HTTP/1.0\r\n\r\n")
                local data = sock:receive("*a")
                sock:close()
                ngx.say(u, " => ", data:match("Content%-Type: ([^\r]*)"))
            end
        }
    }
--- request
GET /t
--- response_body
/css?t=text/css => text/css; charset=utf-8
/css?t=application/json => application/json; charset=utf-8
/css?t=text/html => text/html; charset=utf-8
/css?t=text/plain => text/plain
/any => image/png; charset=utf-8



=== TEST 5: static files, error pages, and no charset on 301/302
--- config
    charset utf-8;
    location /s/ {
        root html;
    }
    location = /r {
        return 302 /s/a.html;
    }
    location = /r301 {
        return 301 /s/a.html;
    }
    location = /r307 {
        return 307 /s/a.html;
    }
    location = /t {
        charset off;
        content_by_lua_block {
            for _, u in ipairs{"/s/a.html", "/s/missing.html", "/r", "/r301", "/r307"} do
                local sock = ngx.socket.tcp()
                sock:connect("127.0.0.1", ngx.var.server_port)
                sock:send("GET " .. u .. " HTTP/1.0\r\n\r\n")
                local data = sock:receive("*a")
                sock:close()
                ngx.say(u, " ", data:match("^HTTP/1.1 (%d+)"), " => ",
                        data:match("Content%-Type: ([^\r]*)"))
            end
        }
    }
--- user_files
>>> s/a.html
<p>a</p>
--- request
GET /t
--- response_body
/s/a.html 200 => text/html; charset=utf-8
/s/missing.html 404 => text/html; charset=utf-8
/r 302 => text/html
/r301 301 => text/html
/r307 307 => text/html; charset=utf-8



=== TEST 6: charset off in a nested location and in an if block
--- config
    location /n/ {
        charset utf-8;
        default_type text/html;
        location /n/off {
            charset off;
            content_by_lua_block { ngx.say("ok") }
        }
        location /n/on {
            content_by_lua_block { ngx.say("ok") }
        }
        location /n/if {
            if ($arg_off) {
                charset off;
            }
            content_by_lua_block { ngx.say("ok") }
        }
    }
    location = /t {
        content_by_lua_block {
            for _, u in ipairs{"/n/off", "/n/on", "/n/if", "/n/if?off=1"} do
                local sock = ngx.socket.tcp()
                sock:connect("127.0.0.1", ngx.var.server_port)
                sock:send("GET " .. u .. " HTTP/1.0\r\n\r\n")
                local data = sock:receive("*a")
                sock:close()
                ngx.say(u, " => ", data:match("Content%-Type: ([^\r]*)"))
            end
        }
    }
--- request
GET /t
--- response_body
/n/off => text/html
/n/on => text/html; charset=utf-8
/n/if => text/html; charset=utf-8
/n/if?off=1 => text/html



=== TEST 7: source_charset equal to charset adds the parameter; no recoding needed
--- config
    location = /t {
        charset UTF-8;
        source_charset utf-8;
        default_type text/html;
        content_by_lua_block { ngx.say("ok") }
    }
--- request
GET /t
--- response_headers
Content-Type: text/html; charset=UTF-8
--- no_error_log
[error]



=== TEST 8: proxied responses: an upstream charset is kept unless override_charset
--- config
    location = /origin {
        content_by_lua_block {
            ngx.header.content_type = ngx.unescape_uri(ngx.var.arg_ct)
            ngx.say("ok")
        }
    }
    location /p/ {
        charset utf-8;
        proxy_pass http://127.0.0.1:$server_port/origin$is_args$args;
        location /p/override {
            override_charset on;
            proxy_pass http://127.0.0.1:$server_port/origin$is_args$args;
        }
    }
    location = /t {
        content_by_lua_block {
            for _, u in ipairs{"/p/a?ct=text/html", "/p/a?ct=text/html;%20charset=koi8-r",
                               "/p/override?ct=text/html;%20charset=UTF-8",
                               "/p/override?ct=text/html;%20charset=%22utf-8%22",
                               "/p/override?ct=text/plain;%20charset=utf-8",
                               "/p/override?ct=text/css;%20charset=utf-8",
                               "/p/override?ct=text/html"} do
                local sock = ngx.socket.tcp()
                sock:connect("127.0.0.1", ngx.var.server_port)
                sock:send("GET " .. u .. " HTTP/1.0\r\n\r\n")
                local data = sock:receive("*a")
                sock:close()
                ngx.say(u, " => ", data:match("Content%-Type: ([^\r]*)"))
            end
        }
    }
--- request
GET /t
--- response_body
/p/a?ct=text/html => text/html; charset=utf-8
/p/a?ct=text/html;%20charset=koi8-r => text/html; charset=koi8-r
/p/override?ct=text/html;%20charset=UTF-8 => text/html; charset=utf-8
/p/override?ct=text/html;%20charset=%22utf-8%22 => text/html; charset=utf-8
/p/override?ct=text/plain;%20charset=utf-8 => text/plain; charset=utf-8
/p/override?ct=text/css;%20charset=utf-8 => text/css; charset=utf-8
/p/override?ct=text/html => text/html; charset=utf-8
--- no_error_log
[error]



=== TEST 9: override_charset with another upstream charset: nginx's error, no change
--- config
    location = /origin {
        content_by_lua_block {
            ngx.header.content_type = "text/html; charset=koi8-r"
            ngx.say("ok")
        }
    }
    location = /t {
        charset utf-8;
        override_charset on;
        proxy_pass http://127.0.0.1:$server_port/origin;
    }
--- request
GET /t
--- response_headers
Content-Type: text/html; charset=koi8-r
--- response_body
ok
--- error_log
no "charset_map" between the charsets "koi8-r" and "utf-8"



=== TEST 10: charset from a variable
--- config
    location = /t {
        charset $arg_cs;
        default_type text/html;
        content_by_lua_block { ngx.say("ok") }
    }
--- request
GET /t?cs=windows-1251
--- response_headers
Content-Type: text/html; charset=windows-1251
--- no_error_log
[error]



=== TEST 11: bad input: too many arguments
--- config
    charset utf-8 koi8-r;
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?invalid number of arguments in "charset" directive in /\S+/nginx\.conf:\d+}



=== TEST 12: bad input: duplicate charset
--- config
    charset utf-8;
    charset koi8-r;
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?"charset" directive is duplicate in /\S+/nginx\.conf:\d+}



=== TEST 13: bad input: override_charset takes on or off
--- config
    override_charset yes;
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?invalid value "yes" in "override_charset" directive, it must be "on" or "off" in /\S+/nginx\.conf:\d+}



=== TEST 14: bad input: charset_types needs a type
--- config
    charset_types;
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?invalid number of arguments in "charset_types" directive in /\S+/nginx\.conf:\d+}
