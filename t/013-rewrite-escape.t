# vim:set ft= ts=4 sw=4 et fdm=marker:
# rewrite: escaping of regex captures in arguments and redirects.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: captures in new args are escaped
--- config
    location /a { rewrite ^/a/(.*)$ /b?x=$1 last; }
    location /b { return 200 "args=$args arg_x=$arg_x\n"; }
--- request
GET /a/hello%20w%26rld
--- response_body
args=x=hello%20w%26rld arg_x=hello%20w%26rld



=== TEST 2: captures in a rewritten uri stay decoded
--- config
    location /a { rewrite ^/a/(.*)$ /b/$1 last; }
    location /b { return 200 "uri=$uri\n"; }
--- request
GET /a/hello%20world
--- response_body
uri=/b/hello world



=== TEST 3: redirect with a capture escapes it
--- config
    port_in_redirect off;
    location /a { rewrite ^/a/(.*)$ /b/$1 redirect; }
--- request
GET /a/hello%20world
--- error_code: 302
--- response_headers
Location: http://localhost/b/hello%20world



=== TEST 4: return with a variable in a URL is not escaped
--- config
    location /a { return 302 http://example.com$uri; }
--- request
GET /a/hello%20world
--- error_code: 302
--- response_headers
Location: http://example.com/a/hello world
