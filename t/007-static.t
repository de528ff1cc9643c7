# vim:set ft= ts=4 sw=4 et fdm=marker:
# Static files: root, alias, index, try_files, MIME types, conditional and range
# requests, files that give fewer bytes than fstat said.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: MIME type from the extension
--- config
--- http_config
    types { text/html html; application/json json; }
--- user_files
>>> a.json
{"a":1}
--- request
GET /a.json
--- response_headers
Content-Type: application/json
Content-Length: 8
--- response_body
{"a":1}



=== TEST 2: default_type for an unknown extension
--- config
    # Server level: Test::Nginx adds its own `location /`, which inherits it.
    default_type application/x-foo;
--- user_files
>>> a.zzz
z
--- request
GET /a.zzz
--- response_headers
Content-Type: application/x-foo



=== TEST 3: Last-Modified and ETag are sent
--- config
--- user_files
>>> f.txt
hello
--- request
GET /f.txt
--- response_headers_like
Last-Modified: ^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$
ETag: ^"[0-9a-f]+-6"$
Accept-Ranges: bytes



=== TEST 4: If-Modified-Since in the future gives 304 with if_modified_since before
--- user_files
>>> f.txt
hello
--- config
    if_modified_since before;
--- request
GET /f.txt
--- more_headers
If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT
--- error_code: 304
--- response_body



=== TEST 5: If-Modified-Since in the past gives 200
--- config
--- user_files
>>> f.txt
hello
--- request
GET /f.txt
--- more_headers
If-Modified-Since: Thu, 01 Jan 1970 00:00:01 GMT
--- error_code: 200
--- response_body
hello



=== TEST 6: HEAD sends headers without a body
--- config
--- user_files
>>> f.txt
hello
--- request
HEAD /f.txt
--- response_headers
Content-Length: 6
--- response_body



=== TEST 7: single range gives 206
--- config
--- user_files
>>> r.txt
0123456789
--- request
GET /r.txt
--- more_headers
Range: bytes=2-4
--- error_code: 206
--- response_headers
Content-Range: bytes 2-4/11
Content-Length: 3
--- response_body chomp
234



=== TEST 8: suffix range
--- config
--- user_files
>>> r.txt
0123456789
--- request
GET /r.txt
--- more_headers
Range: bytes=-3
--- error_code: 206
--- response_headers
Content-Range: bytes 8-10/11
--- response_body
89



=== TEST 9: unsatisfiable range gives 416
--- config
--- user_files
>>> r.txt
0123456789
--- request
GET /r.txt
--- more_headers
Range: bytes=100-200
--- error_code: 416
--- response_headers
Content-Range: bytes */11



=== TEST 10: open-ended range
--- config
--- user_files
>>> r.txt
0123456789
--- request
GET /r.txt
--- more_headers
Range: bytes=7-
--- error_code: 206
--- response_body
789



=== TEST 11: directory without slash redirects with 301
--- config
--- user_files
>>> dir/index.html
idx
--- request
GET /dir
--- error_code: 301
--- response_headers_like
Location: ^http://localhost:\d+/dir/$



=== TEST 12: directory with index
--- config
--- user_files
>>> dir/index.html
idx
--- request
GET /dir/
--- response_body
idx



=== TEST 13: directory without index is 403
--- config
--- user_files
>>> empty/x.txt
x
--- request
GET /empty/
--- error_code: 403
--- error_log eval
qr{directory index of "/\S+/html/empty/" is forbidden}



=== TEST 14: missing file is 404 with the open() log line
--- request
GET /nope.txt
--- error_code: 404
--- error_log eval
qr{\[error\] .*open\(\) "/\S+/html/nope\.txt" failed \(2: No such file or directory\), client: 127\.0\.0\.1, server: localhost, request: "GET /nope\.txt HTTP/1\.1", host: "localhost"}



=== TEST 15: POST to a static file is 405
--- config
--- user_files
>>> f.txt
hello
--- request
POST /f.txt
abc
--- error_code: 405
--- response_body_like: 405 Not Allowed



=== TEST 16: alias
--- user_files
>>> real/a.txt
aliased
--- config
    location /virt/ { alias html/real/; }
--- request
GET /virt/a.txt
--- response_body
aliased



=== TEST 17: alias with regex capture
--- user_files
>>> real/b.txt
bb
--- config
    location ~ ^/v2/(.*)$ { alias html/real/$1; }
--- request
GET /v2/b.txt
--- response_body
bb



=== TEST 18: index list picks the first existing
--- user_files
>>> d2/second.html
second
--- config
    location /d2/ { root html; index first.html second.html; }
--- request
GET /d2/
--- response_body
second



=== TEST 19: try_files finds a file
--- user_files
>>> t1.txt
t1
--- config
    location /tf/ { root html; try_files /nope $uri /t1.txt =404; }
--- request
GET /tf/x
--- response_body
t1



=== TEST 20: try_files =404
--- config
    location /tf/ { root html; try_files $uri =404; }
--- request
GET /tf/x
--- error_code: 404



=== TEST 21: try_files directory with trailing slash redirects to the directory
--- user_files
>>> dd/index.html
dd index
--- config
    location /tf2/ { root html; try_files /nope /dd/ =404; }
--- request
GET /tf2/x
--- error_code: 301
--- response_headers_like
Location: ^http://localhost:\d+/dd/$



=== TEST 22: try_files fallback uri does an internal redirect
--- config
    location /tf3/ { root html; try_files $uri /fallback?from=$uri; }
    location = /fallback { return 200 "fb $args\n"; }
--- request
GET /tf3/x
--- response_body
fb from=/tf3/x



=== TEST 23: $document_root and $request_filename
--- config
    location /vars/ { root html; return 200 "$document_root $request_filename\n"; }
--- request
GET /vars/a.txt
--- response_body_like
^/\S+/html /\S+/html/vars/a\.txt$



=== TEST 24: uri with .. beyond root is 400
--- request eval
"GET /../etc/passwd HTTP/1.0\r\n\r\n"
--- error_code: 400



=== TEST 25: percent-encoded path is decoded for the file
--- config
--- user_files
>>> Ab.txt
decoded
--- request
GET /%41b.txt
--- response_body
decoded



=== TEST 26: If-None-Match with the ETag gives 304
--- user_files
>>> f.txt
hello
--- config
    location = /f.txt {
        root html;
        if_modified_since off;
    }
--- request
GET /f.txt
--- more_headers
If-None-Match: *
--- error_code: 304



=== TEST 27: the built-in MIME types include text/html for .html
--- config
--- user_files
>>> p.html
<p>
--- request
GET /p.html
--- response_headers
Content-Type: text/html



=== TEST 28: several ranges give multipart/byteranges
--- config
--- user_files
>>> r.txt
0123456789
--- request
GET /r.txt
--- more_headers
Range: bytes=0-1,5-6
--- error_code: 206
--- response_headers_like
Content-Type: ^multipart/byteranges; boundary=\d{20}$
--- response_body_like eval
qr{^\r\n--(\d{20})\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/11\r\n\r\n01\r\n--\1\r\nContent-Type: text/plain\r\nContent-Range: bytes 5-6/11\r\n\r\n56\r\n--\1--\r\n$}



=== TEST 29: If-Range with another entity tag serves the whole file
--- config
--- user_files
>>> r.txt
0123456789
--- request
GET /r.txt
--- more_headers
Range: bytes=2-4
If-Range: "other"
--- error_code: 200
--- response_body
0123456789



=== TEST 30: a malformed range is 416
--- config
--- user_files
>>> r.txt
0123456789
--- request
GET /r.txt
--- more_headers
Range: bytes=x-1
--- error_code: 416



=== TEST 31: ranges larger than the file are ignored
--- config
--- user_files
>>> r.txt
0123456789
--- request
GET /r.txt
--- more_headers
Range: bytes=0-10,1-5
--- error_code: 200



=== TEST 32: a range header that is not bytes= is ignored
--- config
--- user_files
>>> r.txt
0123456789
--- request
GET /r.txt
--- more_headers
Range: items=1-2
--- error_code: 200



=== TEST 33: max_ranges 0 turns ranges off
--- config
    max_ranges 0;
--- user_files
>>> r.txt
0123456789
--- request
GET /r.txt
--- more_headers
Range: bytes=2-4
--- error_code: 200
--- response_headers
!Content-Range
Content-Length: 11
--- response_body
0123456789



=== TEST 34: more ranges than max_ranges: the whole file
--- config
    max_ranges 1;
--- user_files
>>> r.txt
0123456789
--- request
GET /r.txt
--- more_headers
Range: bytes=0-1,4-5
--- error_code: 200
--- response_body
0123456789



=== TEST 35: within max_ranges a single range is served
--- config
    max_ranges 1;
--- user_files
>>> r.txt
0123456789
--- request
GET /r.txt
--- more_headers
Range: bytes=2-4
--- error_code: 206
--- response_body chomp
234



=== TEST 36: a file shorter than fstat says (a sysfs file): an alert, and the connection closes without a response, as nginx
--- config
    location = /online {
        root /sys/devices/system/cpu;
    }
--- request
GET /online
--- ignore_response
--- error_log eval
qr/\[alert\] .*pread\(\) read only [1-9]\d* of 4096 from "\/sys\/devices\/system\/cpu\/online"/
--- no_error_log
[error]

