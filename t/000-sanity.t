# vim:set ft= ts=4 sw=4 et fdm=marker:
# Core nginx behaviour, no Lua: the runner's own sanity checks.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: return 200 with a body
--- config
    location = /t {
        return 200 "hello";
    }
--- request
GET /t
--- response_body chomp
hello
--- no_error_log
[error]



=== TEST 2: static file missing gives 404
--- request
GET /does-not-exist.html
--- response_body_like: 404 Not Found
--- error_code: 404
--- error_log
open()



=== TEST 3: error_code and response_headers
--- config
    location = /t {
        add_header X-Foo bar always;
        return 403;
    }
--- request
GET /t
--- error_code: 403
--- response_headers
X-Foo: bar
Content-Type: text/html
!X-Missing
--- response_headers_like
Server: (nginx|moongate).*



=== TEST 4: more_headers reach $http_*
--- config
    location = /t {
        return 200 "foo=$http_foo bar=$http_x_bar\n";
    }
--- request
GET /t
--- more_headers
Foo: hello
X-Bar: world
--- response_body
foo=hello bar=world



=== TEST 5: request body with POST
--- config
    location = /t {
        client_body_buffer_size 1k;
        return 200 "len=$content_length\n";
    }
--- request
POST /t
hello world
--- response_body
len=11



=== TEST 6: static user file
--- config
    location = /unused { return 204; }
--- user_files
>>> index.html
<p>hi</p>
>>> sub/a.txt
A file
--- request
GET /sub/a.txt
--- response_body
A file
--- response_headers
Content-Length: 7



=== TEST 7: rewrite_log writes nginx's notice lines
--- config
    rewrite_log on;
    location /a {
        rewrite ^/a(.*)$ /b$1 last;
    }
    location /b {
        return 200 "b: $uri $args\n";
    }
--- request
GET /a/x?y=1
--- response_body
b: /b/x y=1
--- error_log
"^/a(.*)$" matches "/a/x"
rewritten data: "/b/x", args: "y=1"



=== TEST 8: rewrite redirect
--- config
    location = /old {
        rewrite ^ /new permanent;
    }
--- request
GET /old
--- error_code: 301
--- response_headers_like
Location: http://localhost:\d+/new
--- response_body_like chomp
<title>301 Moved Permanently</title>



=== TEST 9: a bad directive makes the server fail to start
--- config
    location = /t {
        no_such_directive on;
    }
--- must_die
--- error_log
unknown directive "no_such_directive"



=== TEST 10: request eval with escapes and HTTP/1.0
--- config
    location = /t {
        return 200 "proto=$server_protocol\n";
    }
--- request eval
"GET /t HTTP/1.0\r\n"
--- response_body
proto=HTTP/1.0
