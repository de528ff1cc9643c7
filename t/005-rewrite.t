# vim:set ft= ts=4 sw=4 et fdm=marker:
# The rewrite module: rewrite, return, set, if, break.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: rewrite last restarts location search
--- config
    location /a { rewrite ^/a/(.*)$ /b/$1 last; return 200 "not here\n"; }
    location /b { return 200 "b uri=$uri\n"; }
--- request
GET /a/x
--- response_body
b uri=/b/x



=== TEST 2: rewrite break stays in the location
--- user_files
>>> b/x
static bx
--- config
    location /a {
        rewrite ^/a/(.*)$ /b/$1 break;
        root html;
    }
    location /b { return 200 "b\n"; }
--- request
GET /a/x
--- response_body
static bx



=== TEST 3: rewrite redirect gives 302 with an absolute Location
--- config
    location /r { rewrite ^ /target redirect; }
--- request
GET /r
--- error_code: 302
--- response_headers_like
Location: ^http://localhost:\d+/target$
--- response_body_like: 302 Found



=== TEST 4: rewrite permanent gives 301
--- config
    location /r { rewrite ^ /target permanent; }
--- request
GET /r
--- error_code: 301
--- response_headers_like
Location: ^http://localhost:\d+/target$



=== TEST 5: rewrite to an http URL redirects
--- config
    location /r { rewrite ^ http://example.com/x; }
--- request
GET /r
--- error_code: 302
--- response_headers
Location: http://example.com/x



=== TEST 6: original args are appended
--- config
    location /a { rewrite ^ /b?x=1 last; }
    location /b { return 200 "args=$args\n"; }
--- request
GET /a?y=2
--- response_body
args=x=1&y=2



=== TEST 7: trailing ? drops the original args
--- config
    location /a { rewrite ^ /b? last; }
    location /b { return 200 "args=[$args]\n"; }
--- request
GET /a?y=2
--- response_body
args=[]



=== TEST 8: args kept without new args
--- config
    location /a { rewrite ^ /b last; }
    location /b { return 200 "args=[$args] uri=$request_uri\n"; }
--- request
GET /a?y=2
--- response_body
args=[y=2] uri=/a?y=2



=== TEST 9: rewrite cycle gives 500
--- config
    location /loop { rewrite ^ /loop last; }
--- request
GET /loop
--- error_code: 500
--- error_log
rewrite or internal redirection cycle while processing "/loop"



=== TEST 10: return with text and code
--- config
    location /t { return 201 "created\n"; }
--- request
GET /t
--- error_code: 201
--- response_body
created



=== TEST 11: return a URL (302)
--- config
    location /t { return http://example.com/new; }
--- request
GET /t
--- error_code: 302
--- response_headers
Location: http://example.com/new



=== TEST 12: return 301 with a relative URL is made absolute
--- config
    location /t { return 301 /else; }
--- request
GET /t
--- error_code: 301
--- response_headers_like
Location: ^http://localhost:\d+/else$



=== TEST 13: return 444 closes the connection without a response
--- config
    location /t { return 444; }
--- request
GET /t
--- ignore_response
--- abort



=== TEST 14: return a bare code uses the error page
--- config
    location /t { return 418; }
--- request
GET /t
--- error_code: 418
--- response_body_like: ^$



=== TEST 15: return 404 uses the standard page
--- config
    location /t { return 404; }
--- request
GET /t
--- error_code: 404
--- response_body_like: ^<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>(nginx/[\d.]+|moongate)</center>\r\n</body>\r\n</html>\r\n



=== TEST 16: set and use variables
--- config
    location /t {
        set $a "hello";
        set $b "$a world";
        return 200 "$b\n";
    }
--- request
GET /t
--- response_body
hello world



=== TEST 17: if = and !=
--- config
    location /t {
        set $r "";
        if ($arg_a = "x") { set $r "${r}eq "; }
        if ($arg_a != "y") { set $r "${r}ne "; }
        return 200 "$r\n";
    }
--- request
GET /t?a=x
--- response_body
eq ne 



=== TEST 18: if ~ with captures, ~* and !~
--- config
    location /t {
        set $r "";
        if ($arg_a ~ ^(\d+)-) { set $r "${r}num=$1 "; }
        if ($arg_b ~* ^abc$) { set $r "${r}ci "; }
        if ($arg_b !~ ^abc$) { set $r "${r}notcs "; }
        return 200 "$r\n";
    }
--- request
GET /t?a=12-x&b=ABC
--- response_body
num=12 ci notcs 



=== TEST 19: if -f, -d, -e and !-f
--- user_files
>>> f.txt
x
>>> d/g.txt
y
--- config
    location /t {
        root html;
        set $r "";
        if (-f $document_root/f.txt) { set $r "${r}f "; }
        if (-d $document_root/d) { set $r "${r}d "; }
        if (-e $document_root/d/g.txt) { set $r "${r}e "; }
        if (!-f $document_root/d) { set $r "${r}notf "; }
        if (!-e $document_root/nope) { set $r "${r}none "; }
        return 200 "$r\n";
    }
--- request
GET /t
--- response_body
f d e notf none 



=== TEST 20: if with a variable only (empty and "0" are false)
--- config
    location /t {
        set $r "";
        if ($arg_a) { set $r "${r}a "; }
        if ($arg_b) { set $r "${r}b "; }
        if ($arg_c) { set $r "${r}c "; }
        return 200 "$r\n";
    }
--- request
GET /t?a=1&b=0&c=
--- response_body
a 



=== TEST 21: return inside if
--- config
    location /t {
        if ($arg_x) { return 403; }
        return 200 "ok\n";
    }
--- request
GET /t?x=1
--- error_code: 403



=== TEST 22: break stops the rewrite module directives
--- config
    location /t {
        set $a 1;
        break;
        set $a 2;
        return 200 "never\n";
    }
--- request
GET /t
--- error_code: 404



=== TEST 23: server-level rewrite
--- config
    rewrite ^/old/(.*)$ /new/$1 last;
    location /new { return 200 "new $uri\n"; }
--- request
GET /old/x
--- response_body
new /new/x



=== TEST 24: rewrite with a regex that does not match leaves the uri alone
--- config
    location /t {
        rewrite ^/nomatch /x last;
        return 200 "uri=$uri\n";
    }
--- request
GET /t
--- response_body
uri=/t



=== TEST 25: internal location is 404 from outside
--- config
    location /int { internal; return 200 "int\n"; }
--- request
GET /int
--- error_code: 404



=== TEST 26: internal location reachable by rewrite
--- config
    location /int { internal; return 200 "int $uri\n"; }
    location /pub { rewrite ^ /int last; }
--- request
GET /pub
--- response_body
int /int



=== TEST 27: return with variables in a redirect
--- config
    location /t { return 302 http://$host/x?$args; }
--- request
GET /t?a=1
--- error_code: 302
--- response_headers
Location: http://localhost/x?a=1
