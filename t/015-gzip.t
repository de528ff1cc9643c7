# vim:set ft= ts=4 sw=4 et fdm=marker:
# The gzip filter (ngx_http_gzip_filter_module and ngx_http_gzip_ok). A client in Lua
# (a cosocket to this server) fetches the raw response and prints the headers that
# matter and the body bytes in hex, de-chunked: the bytes must equal nginx's, which
# runs the same zlib with the same settings. Tests/MoongateHTTPTests/GzipStreamTests
# inflates real output.

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

our $HttpConfig = <<'_EOC_';
    init_by_lua_block {
        local function hex(s)
            return (s:gsub(".", function(c)
                return string.format("%02x", c:byte())
            end))
        end
        local function dechunk(body)
            local out, n, pos = {}, 0, 1
            while true do
                local size, after = body:match("^(%x+)\r\n()", pos)
                if not size then return nil end
                size = tonumber(size, 16)
                if size == 0 then return table.concat(out), n end
                out[#out + 1] = body:sub(after, after + size - 1)
                n = n + 1
                pos = after + size + 2
            end
        end
        local function fetch(req)
            local sock = ngx.socket.tcp()
            sock:settimeout(3000)
            local ok, err = sock:connect("127.0.0.1", ngx.var.server_port)
            if not ok then return nil, err end
            sock:send(req)
            local data, err, partial = sock:receive("*a")
            sock:close()
            data = data or partial
            local head, body = data:match("^(.-)\r\n\r\n(.*)$")
            local chunks
            if head:lower():find("transfer-encoding: chunked", 1, true) then
                body, chunks = dechunk(body)
            end
            return head, body, chunks
        end
        local function show(req)
            local head, body, chunks = fetch(req)
            ngx.say(head:match("^([^\r]*)"))
            for line in head:gmatch("\r\n([^\r]*)") do
                local name = line:match("^([^:]*)"):lower()
                if name == "content-encoding" or name == "content-length"
                   or name == "vary" or name == "transfer-encoding"
                   or name == "etag" or name == "content-type"
                then
                    ngx.say(line)
                end
            end
            if chunks then ngx.say("chunks: ", chunks) end
            ngx.say("body: ", #body)
            if body:sub(1, 2) == "\31\139" then
                ngx.say(hex(body))
            else
                ngx.say((body:gsub("\n$", "")))
            end
        end
        package.loaded.gzclient = { show = show, hex = hex, fetch = fetch }
    }
_EOC_

run_tests();

__DATA__

=== TEST 1: Lua output is compressed when the client accepts gzip
--- http_config eval: $::HttpConfig
--- config
    location = /data {
        gzip on;
        default_type text/html;
        content_by_lua_block {
            ngx.say(string.rep("hello world ", 10))
        }
    }
    location = /t {
        content_by_lua_block {
            require("gzclient").show("GET /data HTTP/1.1\r\nHost: x\r\n"
                .. "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n")
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 200 OK
Content-Type: text/html
Transfer-Encoding: chunked
Content-Encoding: gzip
chunks: 1
body: 36
1f8b0800000000000403cb48cdc9c95728cf2fca4951c8a0239b0b00ccfe0e0079000000
--- no_error_log
[error]



=== TEST 2: no Accept-Encoding: the body goes out as is
--- http_config eval: $::HttpConfig
--- config
    location = /data {
        gzip on;
        default_type text/html;
        content_by_lua_block {
            ngx.say(string.rep("hello world ", 3))
        }
    }
    location = /t {
        content_by_lua_block {
            require("gzclient").show("GET /data HTTP/1.1\r\nHost: x\r\n"
                .. "Connection: close\r\n\r\n")
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 200 OK
Content-Type: text/html
Transfer-Encoding: chunked
chunks: 1
body: 37
hello world hello world hello world 




=== TEST 3: text/plain is not in the default gzip_types
--- http_config eval: $::HttpConfig
--- config
    location = /data {
        gzip on;
        content_by_lua_block {
            ngx.say(string.rep("hello world ", 3))
        }
    }
    location = /t {
        content_by_lua_block {
            require("gzclient").show("GET /data HTTP/1.1\r\nHost: x\r\n"
                .. "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n")
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 200 OK
Content-Type: text/plain
Transfer-Encoding: chunked
chunks: 1
body: 37
hello world hello world hello world 




=== TEST 4: gzip_types adds types (parameters ignored); text/html is always in
--- http_config eval: $::HttpConfig
--- config
    location = /data {
        gzip on;
        gzip_types text/plain application/json;
        content_by_lua_block {
            ngx.header.content_type = ngx.var.arg_t
            ngx.say(string.rep("hello world ", 10))
        }
    }
    location = /t {
        content_by_lua_block {
            local c = require("gzclient")
            for _, t in ipairs{"text/plain", "application/json;charset=utf-8",
                               "TEXT/HTML", "text/css"} do
                local head = c.fetch("GET /data?t=" .. t .. " HTTP/1.1\r\n"
                    .. "Host: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n")
                ngx.say(t, ": ", head:match("Content%-Encoding: (%S+)"))
            end
        }
    }
--- request
GET /t
--- response_body
text/plain: gzip
application/json;charset=utf-8: gzip
TEXT/HTML: gzip
text/css: nil



=== TEST 5: gzip_types * compresses any type
--- http_config eval: $::HttpConfig
--- config
    location = /data {
        gzip on;
        gzip_types *;
        default_type application/octet-stream;
        content_by_lua_block {
            ngx.say(string.rep("hello world ", 10))
        }
    }
    location = /t {
        content_by_lua_block {
            require("gzclient").show("GET /data HTTP/1.1\r\nHost: x\r\n"
                .. "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n")
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 200 OK
Content-Type: application/octet-stream
Transfer-Encoding: chunked
Content-Encoding: gzip
chunks: 1
body: 36
1f8b0800000000000403cb48cdc9c95728cf2fca4951c8a0239b0b00ccfe0e0079000000



=== TEST 6: static files: Content-Length and Accept-Ranges dropped, ETag weak; gzip_min_length
--- http_config eval: $::HttpConfig
--- config
    location /static/ {
        gzip on;
        gzip_min_length 100;
        root html;
    }
    location = /t {
        content_by_lua_block {
            local c = require("gzclient")
            for _, p in ipairs{"big", "small"} do
                local head, body = c.fetch("GET /static/" .. p .. ".html HTTP/1.1\r\n"
                    .. "Host: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n")
                ngx.say(p, ": ce=", head:match("Content%-Encoding: (%S+)"),
                        " cl=", head:match("Content%-Length: (%d+)"),
                        " etag=", head:match('ETag: (W?/?")'),
                        " ar=", head:match("Accept%-Ranges: (%S+)"),
                        " len=", #body)
                if p == "big" then ngx.say(c.hex(body)) end
            end
        }
    }
--- user_files
>>> static/big.html
<p>moongate moongate moongate moongate moongate moongate moongate</p>
<p>moongate moongate moongate moongate moongate moongate moongate</p>
<p>moongate moongate moongate moongate moongate moongate moongate</p>
>>> static/small.html
<p>small</p>
--- request
GET /t
--- response_body
big: ce=gzip cl=nil etag=W/" ar=nil len=43
1f8b0800000000000403b329b0cbcdcfcf4b4f2c4955208b61a35f60c76533884c01008b323486d2000000
small: ce=nil cl=13 etag=" ar=bytes len=13



=== TEST 7: gzip_vary adds Vary whether or not the client accepts gzip
--- http_config eval: $::HttpConfig
--- config
    location = /data {
        gzip on;
        gzip_vary on;
        default_type text/html;
        content_by_lua_block {
            ngx.say(string.rep("hello world ", 10))
        }
    }
    location = /short {
        gzip on;
        gzip_vary on;
        default_type text/html;
        content_by_lua_block {
            ngx.header["Content-Length"] = 4
            ngx.say("abc")
        }
    }
    location = /t {
        content_by_lua_block {
            local c = require("gzclient")
            c.show("GET /data HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            c.show("GET /short HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n"
                .. "Connection: close\r\n\r\n")
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 200 OK
Content-Type: text/html
Transfer-Encoding: chunked
Vary: Accept-Encoding
chunks: 1
body: 121
hello world hello world hello world hello world hello world hello world hello world hello world hello world hello world 
HTTP/1.1 200 OK
Content-Type: text/html
Content-Length: 4
body: 4
abc



=== TEST 8: Accept-Encoding forms (nginx's token and quality rules)
--- http_config eval: $::HttpConfig
--- config
    location = /data {
        gzip on;
        default_type text/html;
        content_by_lua_block {
            ngx.say(string.rep("hello world ", 10))
        }
    }
    location = /t {
        content_by_lua_block {
            local c = require("gzclient")
            for _, ae in ipairs{"gzip", "deflate, gzip", "GZIP", "gzip;q=0",
                                "gzip; q=0.000", "gzip;q=0.5", "x-gzip", "br,gzip ",
                                "gzipx", "identity", "gzip;q=1.0", "gzip;q=2"} do
                local head = c.fetch("GET /data HTTP/1.1\r\nHost: x\r\n"
                    .. "Accept-Encoding: " .. ae .. "\r\nConnection: close\r\n\r\n")
                ngx.say(ae, ": ", head:match("Content%-Encoding: (%S+)"))
            end
        }
    }
--- request
GET /t
--- response_body
gzip: gzip
deflate, gzip: gzip
GZIP: gzip
gzip;q=0: nil
gzip; q=0.000: nil
gzip;q=0.5: gzip
x-gzip: nil
br,gzip : gzip
gzipx: nil
identity: nil
gzip;q=1.0: gzip
gzip;q=2: nil



=== TEST 9: gzip_proxied off (default): a request with Via is not compressed
--- http_config eval: $::HttpConfig
--- config
    location = /data {
        gzip on;
        default_type text/html;
        content_by_lua_block {
            ngx.say(string.rep("hello world ", 10))
        }
    }
    location = /t {
        content_by_lua_block {
            require("gzclient").show("GET /data HTTP/1.1\r\nHost: x\r\n"
                .. "Accept-Encoding: gzip\r\nVia: 1.1 p\r\nConnection: close\r\n\r\n")
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 200 OK
Content-Type: text/html
Transfer-Encoding: chunked
chunks: 1
body: 121
hello world hello world hello world hello world hello world hello world hello world hello world hello world hello world 




=== TEST 10: gzip_proxied flags against the response headers
--- http_config eval: $::HttpConfig
--- config
    location /p/ {
        gzip on;
        default_type text/html;
        location /p/any { gzip_proxied any; content_by_lua_block { ngx.say(string.rep("x", 40)) } }
        location /p/auth { gzip_proxied auth; content_by_lua_block { ngx.say(string.rep("x", 40)) } }
        location /p/expired {
            gzip_proxied expired;
            expires -1;
            content_by_lua_block { ngx.say(string.rep("x", 40)) }
        }
        location /p/notexpired {
            gzip_proxied expired;
            expires 1h;
            content_by_lua_block { ngx.say(string.rep("x", 40)) }
        }
        location /p/nocache {
            gzip_proxied no-cache;
            content_by_lua_block {
                ngx.header["Cache-Control"] = "max-age=0, No-Cache"
                ngx.say(string.rep("x", 40))
            }
        }
        location /p/private {
            gzip_proxied no-store;
            content_by_lua_block {
                ngx.header["Cache-Control"] = "private"
                ngx.say(string.rep("x", 40))
            }
        }
        location /p/nolm {
            gzip_proxied no_last_modified;
            content_by_lua_block {
                ngx.header["Last-Modified"] = ngx.var.arg_lm
                ngx.say(string.rep("x", 40))
            }
        }
        location /p/noetag {
            gzip_proxied no_etag;
            content_by_lua_block {
                ngx.header["ETag"] = ngx.var.arg_e
                ngx.say(string.rep("x", 40))
            }
        }
    }
    location = /t {
        content_by_lua_block {
            local c = require("gzclient")
            for _, p in ipairs{"any", "auth", "expired", "notexpired", "nocache",
                               "private", "nolm?lm=Thu,%2001%20Jan%201970%2000:00:01%20GMT",
                               "noetag?e=%22x%22"} do
                local head = c.fetch("GET /p/" .. p .. " HTTP/1.1\r\nHost: x\r\n"
                    .. "Accept-Encoding: gzip\r\nVia: 1.1 p\r\n"
                    .. (p == "auth" and "Authorization: Basic eDp5\r\n" or "")
                    .. "Connection: close\r\n\r\n")
                ngx.say(p, ": ", head:match("Content%-Encoding: (%S+)"))
            end
        }
    }
--- request
GET /t
--- response_body
any: gzip
auth: gzip
expired: gzip
notexpired: nil
nocache: gzip
private: nil
nolm?lm=Thu,%2001%20Jan%201970%2000:00:01%20GMT: nil
noetag?e=%22x%22: nil



=== TEST 11: gzip_http_version: HTTP/1.0 clients by default get no gzip
--- http_config eval: $::HttpConfig
--- config
    location = /data {
        gzip on;
        default_type text/html;
        content_by_lua_block {
            ngx.say(string.rep("hello world ", 10))
        }
    }
    location = /data10 {
        gzip on;
        gzip_http_version 1.0;
        default_type text/html;
        content_by_lua_block {
            ngx.say(string.rep("hello world ", 10))
        }
    }
    location = /t {
        content_by_lua_block {
            local c = require("gzclient")
            c.show("GET /data HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n")
            c.show("GET /data10 HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n")
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 200 OK
Content-Type: text/html
Content-Length: 121
body: 121
hello world hello world hello world hello world hello world hello world hello world hello world hello world hello world 
HTTP/1.1 200 OK
Content-Type: text/html
Content-Encoding: gzip
body: 36
1f8b0800000000000403cb48cdc9c95728cf2fca4951c8a0239b0b00ccfe0e0079000000



=== TEST 12: gzip_disable: a regex on User-Agent (caseless) and msie6
--- http_config eval: $::HttpConfig
--- config
    location = /data {
        gzip on;
        gzip_disable "^curl/" msie6;
        default_type text/html;
        content_by_lua_block {
            ngx.say(string.rep("hello world ", 10))
        }
    }
    location = /t {
        content_by_lua_block {
            local c = require("gzclient")
            for _, ua in ipairs{"curl/8.0", "CURL/1", "Wget/1.21",
                                "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)",
                                "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)",
                                "Mozilla/4.0 (compatible; MSIE 5.5; Windows 98)",
                                "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.0)"} do
                local head = c.fetch("GET /data HTTP/1.1\r\nHost: x\r\n"
                    .. "User-Agent: " .. ua .. "\r\n"
                    .. "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n")
                ngx.say(ua, ": ", head:match("Content%-Encoding: (%S+)"))
            end
        }
    }
--- request
GET /t
--- response_body
curl/8.0: nil
CURL/1: nil
Wget/1.21: gzip
Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1): nil
Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1): gzip
Mozilla/4.0 (compatible; MSIE 5.5; Windows 98): nil
Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.0): gzip



=== TEST 13: a response with Content-Encoding, HEAD, and statuses other than 200/403/404 pass as is
--- http_config eval: $::HttpConfig
--- config
    location /s/ {
        gzip on;
        default_type text/html;
        content_by_lua_block {
            if ngx.var.arg_ce then ngx.header["Content-Encoding"] = "br" end
            ngx.status = tonumber(ngx.var.arg_s or 200)
            ngx.say(string.rep("hello world ", 10))
        }
    }
    location = /t {
        content_by_lua_block {
            local c = require("gzclient")
            for _, q in ipairs{"GET /s/?ce=1", "HEAD /s/", "GET /s/?s=201",
                               "GET /s/?s=403", "GET /s/?s=404", "GET /s/?s=500"} do
                local head, body = c.fetch(q .. " HTTP/1.1\r\nHost: x\r\n"
                    .. "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n")
                ngx.say(q, ": ", head:match("Content%-Encoding: (%S+)"), " ", #body)
            end
        }
    }
--- request
GET /t
--- response_body
GET /s/?ce=1: br 121
HEAD /s/: nil 0
GET /s/?s=201: nil 121
GET /s/?s=403: gzip 36
GET /s/?s=404: gzip 36
GET /s/?s=500: nil 121



=== TEST 14: nginx's error pages are compressed too (404)
--- http_config eval: $::HttpConfig
--- config
    location /e/ {
        gzip on;
        root html;
    }
    location = /t {
        content_by_lua_block {
            require("gzclient").show("GET /e/missing HTTP/1.1\r\nHost: x\r\n"
                .. "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n")
        }
    }
--- request
GET /t
--- response_body_like
^HTTP/1.1 404 Not Found
Content-Type: text/html
Transfer-Encoding: chunked
Content-Encoding: gzip
chunks: 1
body: \d+
1f8b08[0-9a-f]+$



=== TEST 15: ngx.flush sends what was compressed so far (Z_SYNC_FLUSH), chunk by chunk
--- http_config eval: $::HttpConfig
--- config
    location = /data {
        gzip on;
        default_type text/html;
        content_by_lua_block {
            ngx.say("first line")
            ngx.flush(true)
            ngx.say("second line")
            ngx.flush(true)
            ngx.say("third line")
        }
    }
    location = /t {
        content_by_lua_block {
            require("gzclient").show("GET /data HTTP/1.1\r\nHost: x\r\n"
                .. "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n")
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 200 OK
Content-Type: text/html
Transfer-Encoding: chunked
Content-Encoding: gzip
chunks: 3
body: 56
1f8b08000000000004034acb2c2a2e51c8c9cc4be502000000ffff2a4e4dcecf4b81b001000000ffff2bc9c82c8232011601c05922000000



=== TEST 16: body_filter_by_lua sees the uncompressed data
--- http_config eval: $::HttpConfig
--- config
    location = /data {
        gzip on;
        default_type text/html;
        content_by_lua_block {
            ngx.say(string.rep("hello world ", 10))
        }
        body_filter_by_lua_block {
            if ngx.arg[1] ~= "" then
                ngx.log(ngx.WARN, "filter sees: ", ngx.arg[1]:sub(1, 11))
                ngx.arg[1] = ngx.arg[1]:upper()
            end
        }
    }
    location = /t {
        content_by_lua_block {
            require("gzclient").show("GET /data HTTP/1.1\r\nHost: x\r\n"
                .. "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n")
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 200 OK
Content-Type: text/html
Transfer-Encoding: chunked
Content-Encoding: gzip
chunks: 1
body: 36
1f8b0800000000000403f370f5f1f15708f70ff27151f0a0239b0b00b235044b79000000
--- error_log
filter sees: hello world



=== TEST 17: $gzip_ratio in the access log ("-" when not compressed)
--- http_config eval
$::HttpConfig . q{
    log_format ratio "gzip ratio: [$gzip_ratio] $uri";
}
--- config
    location = /data {
        gzip on;
        default_type text/html;
        access_log logs/error.log ratio;
        content_by_lua_block {
            ngx.say(string.rep("hello world ", 100))
        }
        log_by_lua_block {
            -- nginx's $gzip_ratio is not in the variables hash: ngx.var cannot see it.
            ngx.log(ngx.WARN, "lua sees ratio: ", tostring(ngx.var.gzip_ratio))
        }
    }
    location = /plain {
        default_type text/html;
        access_log logs/error.log ratio;
        content_by_lua_block {
            ngx.say("x")
        }
    }
    location = /t {
        content_by_lua_block {
            local c = require("gzclient")
            c.fetch("GET /data HTTP/1.1\r\nHost: x\r\n"
                .. "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n")
            c.fetch("GET /plain HTTP/1.1\r\nHost: x\r\n"
                .. "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n")
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log
gzip ratio: [25.55] /data
gzip ratio: [-] /plain
lua sees ratio: nil



=== TEST 18: proxied chunks are compressed as they come; Lua subrequests are not compressed
--- http_config eval: $::HttpConfig
--- config
    location = /origin {
        default_type text/html;
        content_by_lua_block {
            ngx.say(string.rep("upstream data ", 20))
            ngx.flush(true)
            ngx.say(string.rep("more data ", 20))
        }
    }
    location = /proxy {
        gzip on;
        proxy_pass http://127.0.0.1:$server_port/origin;
    }
    location = /t {
        content_by_lua_block {
            local c = require("gzclient")
            c.show("GET /proxy HTTP/1.1\r\nHost: x\r\n"
                .. "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n")
        }
    }
    location = /sub {
        content_by_lua_block {
            local res = ngx.location.capture("/proxy")
            ngx.say(res.status, " ", tostring(res.header["Content-Encoding"]), " ", #res.body)
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 200 OK
Content-Type: text/html
Transfer-Encoding: chunked
Content-Encoding: gzip
chunks: 1
body: 50
1f8b08000000000004032b2d282e294a4dcc5548492c4954281de54143822b37bf28151228439bc50500da6c6ff7e2010000



=== TEST 19: a subrequest's response is not compressed
--- config
    location = /data {
        gzip on;
        default_type text/html;
        content_by_lua_block {
            ngx.say(string.rep("hello world ", 10))
        }
    }
    location = /t {
        content_by_lua_block {
            local res = ngx.location.capture("/data")
            ngx.say(res.status, " ", tostring(res.header["Content-Encoding"]), " ", #res.body)
        }
    }
--- request
GET /t
--- more_headers
Accept-Encoding: gzip
--- response_body
200 nil 121



=== TEST 20: gzip off in a nested location; gzip in an if block
--- http_config eval: $::HttpConfig
--- config
    gzip on;
    default_type text/html;
    location /n/ {
        location /n/off {
            gzip off;
            content_by_lua_block { ngx.say(string.rep("x", 40)) }
        }
        location /n/on {
            content_by_lua_block { ngx.say(string.rep("x", 40)) }
        }
    }
    location /if {
        gzip off;
        if ($arg_z) {
            gzip on;
        }
        content_by_lua_block { ngx.say(string.rep("x", 40)) }
    }
    location = /t {
        content_by_lua_block {
            local c = require("gzclient")
            for _, p in ipairs{"/n/off", "/n/on", "/if", "/if?z=1"} do
                local head = c.fetch("GET " .. p .. " HTTP/1.1\r\nHost: x\r\n"
                    .. "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n")
                ngx.say(p, ": ", head:match("Content%-Encoding: (%S+)"))
            end
        }
    }
--- request
GET /t
--- response_body
/n/off: nil
/n/on: gzip
/if: nil
/if?z=1: gzip



=== TEST 21: bad gzip_comp_level
--- config
    gzip_comp_level 10;
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?value must be between 1 and 9 in /\S+/nginx\.conf:\d+}



=== TEST 22: bad gzip_http_version
--- config
    gzip_http_version 2.0;
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?invalid value "2\.0" in /\S+/nginx\.conf:\d+}



=== TEST 23: bad gzip_proxied
--- config
    gzip_proxied sometimes;
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?invalid value "sometimes" in /\S+/nginx\.conf:\d+}



=== TEST 24: bad gzip flag
--- config
    gzip maybe;
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?invalid value "maybe" in "gzip" directive, it must be "on" or "off" in /\S+/nginx\.conf:\d+}



=== TEST 25: bad gzip_min_length
--- config
    gzip_min_length lots;
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?"gzip_min_length" directive invalid value in /\S+/nginx\.conf:\d+}



=== TEST 26: bad gzip_disable regex
--- config
    gzip_disable "(unclosed";
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?pcre2_compile\(\) failed: missing closing parenthesis in "\(unclosed" in /\S+/nginx\.conf:\d+}



=== TEST 27: gzip_buffers accepted; bad value refused
--- config
    gzip_buffers 0 4k;
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?"gzip_buffers" directive invalid value in /\S+/nginx\.conf:\d+}



=== TEST 28: duplicate gzip
--- config
    gzip on;
    gzip off;
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?"gzip" directive is duplicate in /\S+/nginx\.conf:\d+}



=== TEST 29: a Range on a file gzip compresses gets the whole compressed file
--- http_config eval: $::HttpConfig
--- config
    location /static/ {
        gzip on;
        root html;
    }
    location = /t {
        content_by_lua_block {
            local c = require("gzclient")
            for _, ae in ipairs{"gzip", "identity"} do
                local head, body = c.fetch("GET /static/big.html HTTP/1.1\r\n"
                    .. "Host: x\r\nRange: bytes=0-9\r\nAccept-Encoding: " .. ae
                    .. "\r\nConnection: close\r\n\r\n")
                ngx.say(ae, ": ", head:match("^HTTP/1.1 (%d+)"),
                        " ce=", head:match("Content%-Encoding: (%S+)"),
                        " cr=", head:match("Content%-Range: ([^\r]+)"),
                        " len=", #body)
            end
        }
    }
--- user_files
>>> static/big.html
<p>moongate moongate moongate moongate moongate moongate moongate</p>
<p>moongate moongate moongate moongate moongate moongate moongate</p>
--- request
GET /t
--- response_body
gzip: 200 ce=gzip cr=nil len=42
identity: 206 ce=nil cr=bytes 0-9/140 len=10



=== TEST 30: gzip_window, gzip_hash and postpone_gzipping (output identical to nginx's)
--- http_config eval: $::HttpConfig
--- config
    location = /data {
        gzip on;
        gzip_window 1k;
        gzip_hash 2k;
        gzip_comp_level 6;
        postpone_gzipping 16k;
        default_type text/html;
        content_by_lua_block {
            for i = 1, 40 do
                ngx.say("line ", i, ": ", string.rep(string.char(65 + i % 26), i % 7 + 3),
                        " moongate ", i * i)
            end
        }
    }
    location = /t {
        content_by_lua_block {
            require("gzclient").show("GET /data HTTP/1.1\r\nHost: x\r\n"
                .. "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n")
        }
    }
--- request
GET /t
--- response_body
HTTP/1.1 200 OK
Content-Type: text/html
Transfer-Encoding: chunked
Content-Encoding: gzip
chunks: 1
body: 371
1f8b08000000000000035592cb52c4201045f77e059f106892003bc757c657d4d1f8d8b9b02cabc6998dff5f76a03bdcdc654e11ba0f77ff73f83236990dc7fc1e8f87efcf3ffe70b29fbfbb64cee654e00ba064ce732a8985f8642e4ae06f5d616d3297920a5d5b6097cc95a65292a37d32c330c01c725d4866cba9a093096332d7732a09b2946d92b9c981099b4620abb82d01eaf4280bb99300f672a7652df71a5c5f86b52c671c472051d6b3ace681035ad48b65318f7350991e632d4f390083dec66e7625e0d3e9ac2ce85982baf5e559d28b06b4ab27c79ea66902e2f5243b7ae5000a72a7633f6f732a6b9d4cebd8cd7b0ec05ef674ace7a3045e5a0d3936742a01bc1cee4bbb37eb8af7cbcd21b71cc8326f2c35870ee996d448cf2b8bea86acf61ca08a25b7f41ceba7cf42948b9e835c1f957c29fc76dd7a6bb512d4e6e26379d51375a5f8c8b480d44bef0192f69682d67e557a1d392ead07dc3a59d837b9f439c03bb6f50f001bcfa77c040000



=== TEST 31: bad gzip_window
--- config
    gzip_window 3k;
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?"gzip_window" directive must be 512, 1k, 2k, 4k, 8k, 16k, or 32k in /\S+/nginx\.conf:\d+}



=== TEST 32: bad gzip_hash
--- config
    gzip_hash 100;
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?"gzip_hash" directive must be 512, 1k, 2k, 4k, 8k, 16k, 32k, 64k, or 128k in /\S+/nginx\.conf:\d+}
