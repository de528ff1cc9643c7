# vim:set ft= ts=4 sw=4 et fdm=marker:
# HTTP/1.x: keep-alive, pipelining, HTTP/1.0, chunked bodies, malformed requests.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: pipelined requests in one packet
--- config
    location /p { return 200 "p $uri\n"; }
--- pipelined_requests eval
["GET /p1", "GET /p2", "GET /p3"]
--- response_body eval
["p /p1\n", "p /p2\n", "p /p3\n"]



=== TEST 2: HTTP/1.0 gets Connection: close and no chunking
--- config
    location = /t { return 200 "ten\n"; }
--- request eval
"GET /t HTTP/1.0\r\n"
--- response_headers
Connection: close
Content-Length: 4



=== TEST 3: chunked request body
--- config
    location = /t {
        client_body_buffer_size 1k;
        return 200 "len=$content_length\n";
    }
--- raw_request eval
"POST /t HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
--- response_body
len=0



=== TEST 4: bad chunk size gives 400
--- config
    location = /t {
        client_body_buffer_size 1k;
        content_by_lua_block { ngx.req.read_body() ngx.say("read") }
    }
--- raw_request eval
"POST /t HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
--- error_code: 400
--- error_log
client sent invalid chunked body



=== TEST 5: Expect: 100-continue gets an interim response
--- config
    location = /t {
        content_by_lua_block { ngx.req.read_body() ngx.say(ngx.req.get_body_data()) }
    }
--- raw_request eval
"POST /t HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
--- ignore_response
--- no_error_log
[error]



=== TEST 6: bad method characters give 400
--- raw_request eval
"G(T / HTTP/1.1\r\nHost: localhost\r\n\r\n"
--- error_code: 400
--- response_body_like: 400 Bad Request
--- error_log
client sent invalid method while reading client request line



=== TEST 7: bad version gives 400
--- raw_request eval
"GET / HTTP/x.1\r\nHost: localhost\r\n\r\n"
--- error_code: 400
--- error_log
client sent invalid request while reading client request line



=== TEST 8: missing Host in HTTP/1.1 gives 400
--- raw_request eval
"GET / HTTP/1.1\r\n\r\n"
--- error_code: 400
--- error_log
client sent HTTP/1.1 request without "Host" header while reading client request headers



=== TEST 9: bad Host gives 400
--- raw_request eval
"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"
--- error_code: 400
--- error_log
client sent invalid host header while reading client request headers



=== TEST 10: invalid header line gives 400
--- raw_request eval
"GET / HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n"
--- error_code: 400
--- error_log
client sent invalid header line: "Bad\x20..." while reading client request headers



=== TEST 11: Content-Length and Transfer-Encoding together give 400
--- raw_request eval
"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
--- error_code: 400
--- error_log
client sent "Content-Length" and "Transfer-Encoding" headers at the same time



=== TEST 12: duplicate Content-Length gives 400
--- raw_request eval
"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"
--- error_code: 400
--- error_log
client sent duplicate header line: "Content-Length: 5"



=== TEST 13: unknown Transfer-Encoding gives 501
--- raw_request eval
"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n"
--- error_code: 501
--- response_body_like: 501 Not Implemented
--- error_log
client sent unknown "Transfer-Encoding": "gzip"



=== TEST 14: HTTP/2.0 in the request line gives 505
--- raw_request eval
"GET / HTTP/2.0\r\nHost: localhost\r\n\r\n"
--- error_code: 505
--- response_body_like: 505 HTTP Version Not Supported



=== TEST 15: too long URI gives 414
--- config
    large_client_header_buffers 2 1k;
--- raw_request eval
"GET /" . ("a" x 2000) . " HTTP/1.1\r\nHost: localhost\r\n\r\n"
--- error_code: 414
--- response_body_like: 414 Request-URI Too Large



=== TEST 16: too large header gives 400 Request Header Or Cookie Too Large
--- config
    large_client_header_buffers 2 1k;
--- raw_request eval
"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " . ("b" x 2000) . "\r\n\r\n"
--- error_code: 400
--- response_body_like: ^<html>\r\n<head><title>400 Request Header Or Cookie Too Large</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>Request Header Or Cookie Too Large</center>\r\n<hr><center>(nginx/[\d.]+|moongate)</center>\r\n
--- error_log
client sent too long header line



=== TEST 17: too large body gives 413
--- config
    location = /t {
        client_max_body_size 10;
        content_by_lua_block { ngx.req.read_body() ngx.say("read") }
    }
--- request
POST /t
01234567890123456789
--- error_code: 413
--- response_body_like: 413 Request Entity Too Large
--- error_log eval
qr/client intended to send too large body: 2\d bytes/



=== TEST 18: client_header_timeout gives 408 logged, connection closed
--- config
    client_header_timeout 1s;
--- raw_request eval
"GET / HTTP/1.1\r\nHost: local"
--- timeout: 3
--- ignore_response
--- abort
--- error_log
client timed out (110: Connection timed out) while reading client request headers



=== TEST 19: client_body_timeout gives 408
--- config
    location = /t {
        client_body_timeout 1s;
        content_by_lua_block { ngx.req.read_body() ngx.say("read") }
    }
--- raw_request eval
"POST /t HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nabc"
--- timeout: 3
--- ignore_response
--- abort
--- no_error_log
[error]



=== TEST 20: unknown method is passed to the location (405 for static)
--- config
--- raw_request eval
"FOO /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- user_files
>>> index.html
x
--- error_code: 405



=== TEST 21: HTTP/0.9 style request line with absolute uri
--- config
    location = /t { return 200 "host=$host uri=$uri\n"; }
--- raw_request eval
"GET http://example.org/t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- response_body
host=example.org uri=/t



=== TEST 22: header with underscores is ignored by default
--- config
    location = /t { return 200 "[$http_x_a_b]\n"; }
--- raw_request eval
"GET /t HTTP/1.1\r\nHost: localhost\r\nX_A_B: 1\r\nConnection: close\r\n\r\n"
--- response_body
[]
--- error_log
client sent invalid header line: "X_A_B: 1" while reading client request headers



=== TEST 23: chunked response to an HTTP/1.0 client closes instead
--- config
    location = /t { content_by_lua_block { ngx.say("a") ngx.flush(true) ngx.say("b") } }
--- request eval
"GET /t HTTP/1.0\r\n"
--- response_headers
!Transfer-Encoding
Connection: close
--- response_body
a
b



=== TEST 24: a chunk size that overflows gives 400
--- config
    location = /t {
        content_by_lua_block { ngx.req.read_body() ngx.say("read") }
    }
--- raw_request eval
"POST /t HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nffffffffffffffff1\r\nhello\r\n0\r\n\r\n"
--- error_code: 400
--- error_log
client sent invalid chunked body



=== TEST 25: HEAD to a return gives headers only
--- config
    location = /t { return 200 "body\n"; }
--- request
HEAD /t
--- response_headers
Content-Length: 5
--- response_body



=== TEST 26: folded header lines give 400
--- raw_request eval
"GET / HTTP/1.1\r\nHost: localhost\r\n X: folded\r\n\r\n"
--- error_code: 400
--- error_log
client sent invalid header line



=== TEST 27: a fragment is not part of the uri
--- config
    location = /t { return 200 "uri=$uri args=$args\n"; }
--- raw_request eval
"GET /t?a=1#frag HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- response_body
uri=/t args=a=1



=== TEST 28: HTTP/1.1 with an absolute uri still needs Host
--- raw_request eval
"GET http://localhost/ HTTP/1.1\r\nConnection: close\r\n\r\n"
--- error_code: 400
--- error_log
client sent HTTP/1.1 request without "Host" header



=== TEST 29: TRACE is refused with 405
--- config
    location = /t { return 200 "never\n"; }
--- raw_request eval
"TRACE /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- error_code: 405
--- error_log
client sent TRACE method while reading client request headers



=== TEST 30: a header line without a colon has an empty value
--- config
    location = /t { return 200 "[$http_nocolon]\n"; }
--- raw_request eval
"GET /t HTTP/1.1\r\nHost: localhost\r\nNoColon\r\nConnection: close\r\n\r\n"
--- response_body
[]



=== TEST 31: a request line with only a method is an invalid method
--- raw_request eval
"BAD\r\n\r\n"
--- error_code: 400
--- error_log
client sent invalid method while reading client request line



=== TEST 32: too large chunked body read by a module gives 413
--- config
    location = /t {
        client_max_body_size 10;
        content_by_lua_block { ngx.req.read_body() ngx.say("read") }
    }
--- raw_request eval
"POST /t HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n8\r\n01234567\r\n8\r\n01234567\r\n0\r\n\r\n"
--- error_code: 413
--- error_log
client intended to send too large chunked body: 8+8 bytes



=== TEST 33: a discarded chunked body is not size-checked
--- config
    location = /t {
        client_max_body_size 10;
        return 200 "ok\n";
    }
--- raw_request eval
"POST /t HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n8\r\n01234567\r\n8\r\n01234567\r\n0\r\n\r\n"
--- response_body
ok



=== TEST 34: error_page for 413
--- config
    location = /t {
        client_max_body_size 5;
        error_page 413 = /too-big;
        return 200 "never\n";
    }
    location = /too-big { return 200 "$request_method too big\n"; }
--- request
POST /t
0123456789
--- response_body
GET too big



=== TEST 35: a control byte in a header name is 400 even with ignore_invalid_headers
--- raw_request eval
"GET / HTTP/1.1\r\nHost: localhost\r\nBad\x01Name: 1\r\n\r\n"
--- error_code: 400
--- error_log
client sent invalid header line: "Bad\x01..."



=== TEST 36: other odd bytes in a header name are ignored (ignore_invalid_headers on)
--- config
    location = /t { return 200 "ok\n"; }
--- raw_request eval
"GET /t HTTP/1.1\r\nHost: localhost\r\nBad.Name: 1\r\nConnection: close\r\n\r\n"
--- response_body
ok
--- error_log
client sent invalid header line: "Bad.Name: 1"
