# vim:set ft= ts=4 sw=4 et fdm=marker:
# error_page, add_header, allow/deny.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: error_page to a uri keeps the code
--- config
    location = /t { error_page 404 /err; return 404; }
    location = /err { return 200 "err page $uri\n"; }
--- request
GET /t
--- error_code: 404
--- response_body
err page /err



=== TEST 2: error_page =code replaces the code
--- config
    location = /t { error_page 404 =200 /err; return 404; }
    location = /err { return 200 "ok page\n"; }
--- request
GET /t
--- error_code: 200
--- response_body
ok page



=== TEST 3: error_page = takes the code of the page
--- config
    location = /t { error_page 404 = /err; return 404; }
    location = /err { return 202 "accepted page\n"; }
--- request
GET /t
--- error_code: 202
--- response_body
accepted page



=== TEST 4: error_page to a named location
--- config
    location = /t { error_page 403 @n; return 403; }
    location @n { return 200 "named\n"; }
--- request
GET /t
--- error_code: 403
--- response_body
named



=== TEST 5: error_page to an external URL redirects with 302
--- config
    location = /t { error_page 404 http://example.com/nf; return 404; }
--- request
GET /t
--- error_code: 302
--- response_headers
Location: http://example.com/nf



=== TEST 6: error_page 301 to an external URL
--- config
    location = /t { error_page 404 =301 http://example.com/moved; return 404; }
--- request
GET /t
--- error_code: 301
--- response_headers
Location: http://example.com/moved



=== TEST 7: error page that fails again gives the built-in page
--- config
    location = /t { error_page 404 /missing-err; return 404; }
    location = /missing-err { return 500; }
--- request
GET /t
--- error_code: 500
--- response_body_like: 500 Internal Server Error



=== TEST 8: recursive_error_pages on follows a second error_page
--- config
    recursive_error_pages on;
    location = /t { error_page 404 /e1; return 404; }
    location = /e1 { error_page 500 =200 /e2; return 500; }
    location = /e2 { return 200 "second\n"; }
--- request
GET /t
--- error_code: 200
--- response_body
second



=== TEST 9: recursive_error_pages off ignores the second error_page
--- config
    location = /t { error_page 404 /e1; return 404; }
    location = /e1 { error_page 500 =200 /e2; return 500; }
    location = /e2 { return 200 "second\n"; }
--- request
GET /t
--- error_code: 500



=== TEST 10: error_page inherited from server level
--- config
    error_page 404 /nf;
    location = /nf { return 200 "server nf\n"; }
--- request
GET /missing-thing
--- error_code: 404
--- response_body
server nf



=== TEST 11: error_page with several codes
--- config
    location = /t { error_page 403 404 =410 /gone; return 403; }
    location = /gone { return 200 "gone\n"; }
--- request
GET /t
--- error_code: 410
--- response_body
gone



=== TEST 12: add_header only on 2xx/3xx without always
--- config
    location = /t { add_header X-A a; add_header X-B b always; return 404; }
--- request
GET /t
--- error_code: 404
--- response_headers
!X-A
X-B: b



=== TEST 13: add_header on 200 with variables
--- config
    location = /t { add_header X-U $uri; return 200 "ok\n"; }
--- request
GET /t
--- response_headers
X-U: /t



=== TEST 14: add_header is inherited only when not set at the lower level
--- config
    add_header X-Server s;
    location = /a { return 200 "a\n"; }
    location = /b { add_header X-Loc l; return 200 "b\n"; }
--- request
GET /b
--- response_headers
X-Loc: l
!X-Server



=== TEST 15: add_header with an empty value adds nothing
--- config
    location = /t { add_header X-E $arg_none; return 200 "ok\n"; }
--- request
GET /t
--- response_headers
!X-E



=== TEST 16: deny all
--- config
    location = /t { deny all; content_by_lua_block { ngx.say("ok") } }
--- request
GET /t
--- error_code: 403
--- error_log
access forbidden by rule



=== TEST 17: allow 127.0.0.1 then deny all
--- config
    location = /t { allow 127.0.0.1; deny all; content_by_lua_block { ngx.say("ok") } }
--- request
GET /t
--- response_body
ok



=== TEST 18: deny a CIDR containing the client
--- config
    location = /t { deny 127.0.0.0/8; allow all; content_by_lua_block { ngx.say("ok") } }
--- request
GET /t
--- error_code: 403



=== TEST 19: allow a different network then deny
--- config
    location = /t { allow 10.0.0.0/8; deny all; content_by_lua_block { ngx.say("ok") } }
--- request
GET /t
--- error_code: 403



=== TEST 20: bad allow address
--- config
    location = /t { allow 300.1.1.1; }
--- must_die
--- error_log
invalid parameter "300.1.1.1"



=== TEST 21: error_page with a bad code
--- config
    location = /t { error_page 99 /x; }
--- must_die
--- error_log
value "99" must be between 300 and 599



=== TEST 22: 403 page format
--- config
    location = /t { return 403; }
--- request
GET /t
--- error_code: 403
--- response_body_like: ^<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1></center>\r\n<hr><center>(nginx/[\d.]+|moongate)</center>\r\n</body>\r\n</html>\r\n$



=== TEST 23: server-level error_page for a bad request
--- config
    error_page 400 /bad.html;
    location = /bad.html { return 200 "bad request page\n"; }
--- raw_request eval
"GET / HTTP/1.1\r\n\r\n"
--- error_code: 400
--- response_body
bad request page



=== TEST 24: error_page for 405 from the static module
--- user_files
>>> f.txt
x
--- config
    error_page 405 = /m;
    location = /m { return 200 "method $request_method\n"; }
--- request
POST /f.txt
abc
--- error_code: 200
--- response_body
method GET



=== TEST 25: error pages are padded for MSIE and Chrome
--- config
    location = /t { return 404; }
--- request
GET /t
--- more_headers
User-Agent: Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36
--- error_code: 404
--- response_body_like eval
qr{</html>\r\n(<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n){6}\z}



=== TEST 26: msie_padding off
--- config
    msie_padding off;
    location = /t { return 404; }
--- request
GET /t
--- more_headers
User-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)
--- error_code: 404
--- response_body_like eval
qr{</html>\r\n\z}
