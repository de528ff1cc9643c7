# vim:set ft= ts=4 sw=4 et fdm=marker:
# Redirect Locations, index and internal redirects, return edge cases.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: absolute_redirect off keeps Location relative
--- config
    absolute_redirect off;
    location = /t { return 301 /else; }
--- request
GET /t
--- error_code: 301
--- response_headers
Location: /else



=== TEST 2: port_in_redirect off drops the port
--- config
    port_in_redirect off;
    location = /t { return 302 /else; }
--- request
GET /t
--- error_code: 302
--- response_headers
Location: http://localhost/else



=== TEST 3: server_name_in_redirect on uses the server name
--- config
    server_name_in_redirect on;
    port_in_redirect off;
    location = /t { return 302 /else; }
--- request
GET /t
--- more_headers
Host: other.host
--- error_code: 302
--- response_headers
Location: http://localhost/else



=== TEST 4: Location uses the Host header by default
--- config
    port_in_redirect off;
    location = /t { return 302 /else; }
--- request
GET /t
--- more_headers
Host: other.host
--- error_code: 302
--- response_headers
Location: http://other.host/else



=== TEST 5: directory redirect keeps the args
--- user_files
>>> d/index.html
idx
--- config
    port_in_redirect off;
--- request
GET /d?x=1
--- error_code: 301
--- response_headers
Location: http://localhost/d/?x=1



=== TEST 6: index does an internal redirect into another location
--- user_files
>>> d/index.html
idx
--- config
    location ~ \.html$ { root html; add_header X-Html yes; }
--- request
GET /d/
--- response_headers
X-Html: yes
--- response_body
idx



=== TEST 7: return 200 without text
--- config
    location = /t { return 200; }
--- request
GET /t
--- error_code: 200
--- response_headers
Content-Length: 0
--- response_body



=== TEST 8: return 204
--- config
    location = /t { return 204; }
--- request
GET /t
--- error_code: 204
--- response_headers
!Content-Length
!Content-Type
--- response_body



=== TEST 9: return 302 with text sets Location to the text
--- config
    location = /t { return 302 "/rel?a=1"; }
--- request
GET /t
--- error_code: 302
--- response_headers_like
Location: ^http://localhost:\d+/rel\?a=1$



=== TEST 10: request_uri stays the original after a rewrite
--- config
    location /a { rewrite ^/a(.*)$ /b$1 last; }
    location /b { return 200 "$uri $request_uri $args\n"; }
--- request
GET /a/x%20y?k=v
--- response_body
/b/x y /a/x%20y?k=v k=v



=== TEST 11: error_page to a static file
--- user_files
>>> 404.html
custom not found
--- config
    error_page 404 /404.html;
--- request
GET /missing
--- error_code: 404
--- response_body
custom not found



=== TEST 12: add_header always shows on the error_page response
--- user_files
>>> err.html
err
--- config
    location = /t {
        error_page 500 /err.html;
        add_header X-T t always;
        return 500;
    }
--- request
GET /t
--- error_code: 500
--- response_body
err



=== TEST 13: try_files $uri $uri/ fallback
--- user_files
>>> spa/index.html
spa
>>> spa/app.js
js
--- config
    location /spa/ { root html; try_files $uri $uri/ /spa/index.html; }
--- pipelined_requests eval
["GET /spa/app.js", "GET /spa/route/x"]
--- response_body eval
["js\n", "spa\n"]



=== TEST 14: merge_slashes off keeps double slashes for matching
--- http_config
    merge_slashes off;
--- config
    location = /a//b { return 200 "double\n"; }
    location = /a/b { return 200 "single\n"; }
--- request
GET /a//b
--- response_body
double



=== TEST 15: slashes merged by default
--- config
    location = /a/b { return 200 "single\n"; }
--- request
GET /a//b
--- response_body
single



=== TEST 16: rewrite with a new arg from a variable
--- config
    location /a { rewrite ^ /b?x=$arg_y? last; }
    location /b { return 200 "$args\n"; }
--- request
GET /a?y=5&z=6
--- response_body
x=5



=== TEST 17: return 301 with a full URL keeps it
--- config
    location = /t { return 301 https://example.com$request_uri; }
--- request
GET /t?q=1
--- error_code: 301
--- response_headers
Location: https://example.com/t?q=1



=== TEST 18: alias without trailing slash
--- user_files
>>> real/c.txt
cc
--- config
    location /img { alias html/real; }
--- request
GET /img/c.txt
--- response_body
cc



=== TEST 19: uri with %2F stays a slash in the path
--- config
--- user_files
>>> p/q.txt
pq
--- request
GET /p%2Fq.txt
--- response_body
pq



=== TEST 20: redirect appends the original args with &
--- config
    port_in_redirect off;
    location /r { rewrite ^ /new?a=1 redirect; }
--- request
GET /r?b=2
--- error_code: 302
--- response_headers
Location: http://localhost/new?a=1&b=2



=== TEST 21: redirect with a trailing ? drops the args
--- config
    port_in_redirect off;
    location /r { rewrite ^ /new? permanent; }
--- request
GET /r?b=2
--- error_code: 301
--- response_headers
Location: http://localhost/new



=== TEST 22: server settings written at the http level apply to servers
--- config
--- http_config
    large_client_header_buffers 2 1k;
--- raw_request eval
"GET /" . ("a" x 2000) . " HTTP/1.1\r\nHost: localhost\r\n\r\n"
--- error_code: 414



=== TEST 23: underscores_in_headers at the http level
--- http_config
    underscores_in_headers on;
--- config
    location = /t { return 200 "[$http_x_a_b]\n"; }
--- raw_request eval
"GET /t HTTP/1.1\r\nHost: localhost\r\nX_A_B: 1\r\nConnection: close\r\n\r\n"
--- response_body
[1]



=== TEST 24: return 304 keeps Content-Type and a zero Content-Length
--- config
    location = /t { return 304; }
--- request
GET /t
--- error_code: 304
--- response_headers
Content-Type: text/plain
Content-Length: 0



=== TEST 25: return 200 without text has the default type
--- config
    location = /t { default_type text/x-empty; return 200; }
--- request
GET /t
--- response_headers
Content-Type: text/x-empty
Content-Length: 0
