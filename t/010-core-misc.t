# vim:set ft= ts=4 sw=4 et fdm=marker:
# limit_except, expires, etag, log_not_found, keepalive settings, types.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: limit_except lets listed methods through
--- user_files
>>> le/a.txt
le
--- config
    location /le/ {
        root html;
        limit_except GET { deny all; }
    }
--- request
GET /le/a.txt
--- response_body
le



=== TEST 2: limit_except GET also allows HEAD
--- user_files
>>> le/a.txt
le
--- config
    location /le/ {
        root html;
        limit_except GET { deny all; }
    }
--- request
HEAD /le/a.txt
--- response_headers
Content-Length: 3



=== TEST 3: limit_except denies other methods
--- user_files
>>> le/a.txt
le
--- config
    location /le/ {
        root html;
        limit_except GET { deny all; }
    }
--- request
DELETE /le/a.txt
--- error_code: 403
--- error_log
access forbidden by rule



=== TEST 4: limit_except with an unknown method
--- config
    location /le/ {
        limit_except FROB { deny all; }
    }
--- must_die
--- error_log
invalid method "FROB"



=== TEST 5: expires with a time
--- config
    location = /t { expires 1h; return 200 "x"; }
--- request
GET /t
--- response_headers
Cache-Control: max-age=3600
--- response_headers_like
Expires: ^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$



=== TEST 6: expires epoch and negative
--- config
    location = /t { expires epoch; return 200 "x"; }
    location = /n { expires -1; return 200 "x"; }
--- pipelined_requests eval
["GET /t", "GET /n"]
--- response_headers eval
["Cache-Control: no-cache\nExpires: Thu, 01 Jan 1970 00:00:01 GMT", "Cache-Control: no-cache"]



=== TEST 7: expires max
--- config
    location = /t { expires max; return 200 "x"; }
--- request
GET /t
--- response_headers
Expires: Thu, 31 Dec 2037 23:55:55 GMT
Cache-Control: max-age=315360000



=== TEST 8: expires does not touch error responses
--- config
    location = /t { expires 1h; return 404; }
--- request
GET /t
--- error_code: 404
--- response_headers
!Expires
!Cache-Control



=== TEST 9: expires with a bad value
--- config
    location = /t { expires soon; }
--- must_die
--- error_log
"expires" directive invalid value



=== TEST 10: etag off
--- user_files
>>> f.txt
x
--- config
    etag off;
--- request
GET /f.txt
--- response_headers
!ETag



=== TEST 11: log_not_found off
--- config
    log_not_found off;
--- request
GET /nope.txt
--- error_code: 404
--- no_error_log
open()



=== TEST 12: keepalive_requests closes after the limit
--- config
    keepalive_requests 2;
    location = /t { return 200 "x\n"; }
--- pipelined_requests eval
["GET /t", "GET /t"]
--- response_headers eval
["Connection: keep-alive", "Connection: close"]



=== TEST 13: keepalive_timeout 0 disables keep-alive
--- config
    keepalive_timeout 0;
    location = /t { return 200 "x\n"; }
--- raw_request eval
"GET /t HTTP/1.1\r\nHost: localhost\r\n\r\n"
--- response_headers
Connection: close



=== TEST 14: types in a location override
--- user_files
>>> a.foo
f
--- config
    types { application/x-foo foo; }
--- request
GET /a.foo
--- response_headers
Content-Type: application/x-foo



=== TEST 15: extension match is case-insensitive
--- config
--- user_files
>>> A.HTML
<p>
--- request
GET /A.HTML
--- response_headers
Content-Type: text/html



=== TEST 16: gzip on leaves short bodies and clients without gzip alone (t/015-gzip.t has the rest)
--- config
    gzip on;
    location = /t { return 200 "x\n"; }
--- request
GET /t
--- more_headers
Accept-Encoding: gzip
--- response_body
x
--- no_error_log
"gzip" directive



=== TEST 17: If-Match that does not match gives 412
--- config
--- user_files
>>> f.txt
x
--- request
GET /f.txt
--- more_headers
If-Match: "nope"
--- error_code: 412



=== TEST 18: If-Unmodified-Since in the past gives 412
--- config
--- user_files
>>> f.txt
x
--- request
GET /f.txt
--- more_headers
If-Unmodified-Since: Thu, 01 Jan 1970 00:00:01 GMT
--- error_code: 412



=== TEST 19: If-None-Match with another tag gives 200
--- config
--- user_files
>>> f.txt
x
--- request
GET /f.txt
--- more_headers
If-None-Match: "abc", W/"def"
--- error_code: 200



=== TEST 20: keepalive_timeout with a header time
--- config
    keepalive_timeout 60 15;
    location = /t { return 200 "x\n"; }
--- pipelined_requests eval
["GET /t", "GET /t"]
--- response_headers eval
["Connection: keep-alive\nKeep-Alive: timeout=15", "Connection: close\n!Keep-Alive"]
