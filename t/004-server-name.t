# vim:set ft= ts=4 sw=4 et fdm=marker:
# Virtual server selection by the Host header.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

our $HttpConfig = qq{
    server {
        listen \$TEST_NGINX_SERVER_PORT;
        server_name www.example.com;
        return 200 "exact \$host\\n";
    }
    server {
        listen \$TEST_NGINX_SERVER_PORT;
        server_name *.example.com;
        return 200 "wildcard-head \$host\\n";
    }
    server {
        listen \$TEST_NGINX_SERVER_PORT;
        server_name mail.*;
        return 200 "wildcard-tail \$host\\n";
    }
    server {
        listen \$TEST_NGINX_SERVER_PORT;
        server_name ~^(?<sub>\\w+)\\.regex\\.org\$;
        return 200 "regex \$sub\\n";
    }
    server {
        listen \$TEST_NGINX_SERVER_PORT;
        server_name .dot.net;
        return 200 "dot \$host\\n";
    }
};

run_tests();

__DATA__

=== TEST 1: exact name
--- http_config eval: $::HttpConfig
--- config
    location = /t { return 200 "default\n"; }
--- request
GET /t
--- more_headers
Host: www.example.com
--- response_body
exact www.example.com



=== TEST 2: leading wildcard
--- http_config eval: $::HttpConfig
--- config
    location = /t { return 200 "default\n"; }
--- request
GET /t
--- more_headers
Host: a.b.example.com
--- response_body
wildcard-head a.b.example.com



=== TEST 3: trailing wildcard
--- http_config eval: $::HttpConfig
--- config
    location = /t { return 200 "default\n"; }
--- request
GET /t
--- more_headers
Host: mail.foo.org
--- response_body
wildcard-tail mail.foo.org



=== TEST 4: regex name with a named capture
--- http_config eval: $::HttpConfig
--- config
    location = /t { return 200 "default\n"; }
--- request
GET /t
--- more_headers
Host: abc.regex.org
--- response_body
regex abc



=== TEST 5: unknown name goes to the first server (the default)
--- http_config eval: $::HttpConfig
--- config
    location = /t { return 200 "default\n"; }
--- request
GET /t
--- more_headers
Host: unknown.test
--- response_body
exact unknown.test



=== TEST 6: host is case-insensitive and port is stripped
--- http_config eval: $::HttpConfig
--- config
    location = /t { return 200 "default\n"; }
--- request
GET /t
--- more_headers
Host: WWW.Example.COM:1234
--- response_body
exact www.example.com



=== TEST 7: .dot.net matches the bare name and subdomains
--- http_config eval: $::HttpConfig
--- config
    location = /t { return 200 "default\n"; }
--- request
GET /t
--- more_headers
Host: x.dot.net
--- response_body
dot x.dot.net



=== TEST 8: default_server wins over the first server
--- http_config eval
"server {
    listen $ENV{TEST_NGINX_SERVER_PORT};
    server_name first.test;
    return 200 \"first\\n\";
}
server {
    listen $ENV{TEST_NGINX_SERVER_PORT} default_server;
    server_name second.test;
    return 200 \"second\\n\";
}"
--- config
    location = /t { return 200 "default\n"; }
--- request
GET /t
--- more_headers
Host: nomatch.test
--- response_body
second



=== TEST 9: exact name beats wildcard
--- http_config eval: $::HttpConfig
--- config
    location = /t { return 200 "default\n"; }
--- request
GET /t
--- more_headers
Host: www.example.com
--- response_body
exact www.example.com



=== TEST 10: the test server by its name
--- http_config eval: $::HttpConfig
--- config
    location = /t { return 200 "localhost\n"; }
--- request
GET /t
--- response_body
localhost
