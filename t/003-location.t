# vim:set ft= ts=4 sw=4 et fdm=marker:
# Location matching: =, ^~, ~, ~*, prefix, nested, named.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: exact beats everything
--- config
    location = /a { return 200 "exact\n"; }
    location /a { return 200 "prefix\n"; }
    location ~ ^/a { return 200 "regex\n"; }
--- request
GET /a
--- response_body
exact



=== TEST 2: regex beats the longest prefix
--- config
    location /a { return 200 "prefix\n"; }
    location ~ ^/a/b { return 200 "regex\n"; }
--- request
GET /a/b/c
--- response_body
regex



=== TEST 3: ^~ stops the regex search
--- config
    location ^~ /a/ { return 200 "caret\n"; }
    location ~ ^/a/b { return 200 "regex\n"; }
--- request
GET /a/b
--- response_body
caret



=== TEST 4: longest prefix wins when no regex matches
--- config
    location /a { return 200 "short\n"; }
    location /a/b { return 200 "long\n"; }
    location ~ ^/z { return 200 "regex\n"; }
--- request
GET /a/b/c
--- response_body
long



=== TEST 5: first matching regex in file order
--- config
    location ~ /x { return 200 "first\n"; }
    location ~ /x/y { return 200 "second\n"; }
--- request
GET /x/y
--- response_body
first



=== TEST 6: ~ is case sensitive
--- config
    location ~ ^/CASE$ { return 200 "regex\n"; }
    location /c { return 200 "root\n"; }
--- request
GET /case
--- response_body
root



=== TEST 7: ~* is case insensitive
--- config
    location ~* ^/CASE$ { return 200 "iregex\n"; }
    location /c { return 200 "root\n"; }
--- request
GET /case
--- response_body
iregex



=== TEST 8: regex captures in return
--- config
    location ~ ^/u/(\d+)/(?<name>\w+)$ { return 200 "id=$1 name=$name\n"; }
--- request
GET /u/42/bob
--- response_body
id=42 name=bob



=== TEST 9: nested prefix location
--- config
    location /n/ {
        location /n/inner/ { return 200 "inner\n"; }
        return 200 "outer\n";
    }
--- request
GET /n/inner/x
--- response_body
inner



=== TEST 10: nested regex location inside prefix
--- config
    location /n/ {
        location ~ \.php$ { return 200 "php\n"; }
        return 200 "outer\n";
    }
--- request
GET /n/a.php
--- response_body
php



=== TEST 11: outer of nested
--- config
    location /n/ {
        location /n/inner/ { return 200 "inner\n"; }
        return 200 "outer\n";
    }
--- request
GET /n/other
--- response_body
outer



=== TEST 12: no location matches gives 404
--- config
    location /only { return 200 "x\n"; }
    location = / { return 200 "slash\n"; }
--- request
GET /nope
--- error_code: 404
--- response_body_like: 404 Not Found



=== TEST 13: named location via error_page
--- config
    location = /t {
        error_page 404 = @fallback;
        return 404;
    }
    location @fallback { return 200 "fallback $uri\n"; }
--- request
GET /t
--- response_body
fallback /t



=== TEST 14: named location via try_files
--- config
    location /tf {
        try_files $uri @named;
    }
    location @named { return 200 "named $uri\n"; }
--- request
GET /tf/missing
--- response_body
named /tf/missing



=== TEST 15: named location cannot be requested directly
--- config
    location @x { return 200 "x\n"; }
    location /@ { return 200 "root $uri\n"; }
--- request
GET /@x
--- response_body
root /@x



=== TEST 16: prefix match with a url-escaped uri
--- config
    location /a%20b { return 200 "wrong\n"; }
    location "/a b" { return 200 "space\n"; }
--- request
GET /a%20b
--- response_body
space



=== TEST 17: exact match on /
--- config
    # Test::Nginx's own `location /` is the prefix one here.
    location = / { return 200 "exact root\n"; }
--- request
GET /
--- response_body
exact root



=== TEST 18: regex with location modifier on uri with args
--- config
    location ~ ^/q$ { return 200 "q args=$args\n"; }
--- request
GET /q?a=1&b=2
--- response_body
q args=a=1&b=2
