# vim:set ft= ts=4 sw=4 et fdm=marker:
# if blocks: configuration switching, inheritance and order.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: directives after a matching if still run, with the if's settings
--- config
    location = /t {
        if ($arg_x) { add_header X-If yes; }
        return 200 "ok\n";
    }
--- request
GET /t?x=1
--- response_headers
X-If: yes
--- response_body
ok



=== TEST 2: if that does not match keeps the location's settings
--- config
    location = /t {
        add_header X-Loc loc;
        if ($arg_x) { add_header X-If yes; }
        return 200 "ok\n";
    }
--- request
GET /t
--- response_headers
X-Loc: loc
!X-If



=== TEST 3: a matching if replaces add_header of the location
--- config
    location = /t {
        add_header X-Loc loc;
        if ($arg_x) { add_header X-If yes; }
        return 200 "ok\n";
    }
--- request
GET /t?x=1
--- response_headers
X-If: yes
!X-Loc



=== TEST 4: the last matching if wins
--- config
    location = /t {
        if ($arg_a) { add_header X-Which a; }
        if ($arg_b) { add_header X-Which b; }
        return 200 "ok\n";
    }
--- request
GET /t?a=1&b=1
--- response_headers
X-Which: b



=== TEST 5: if in server context
--- config
    if ($http_x_block) { return 403; }
    location = /t { return 200 "ok\n"; }
--- request
GET /t
--- more_headers
X-Block: 1
--- error_code: 403



=== TEST 6: nested if is not allowed
--- config
    location = /t {
        if ($arg_a) { if ($arg_b) { return 200; } }
    }
--- must_die
--- error_log
"if" directive is not allowed here



=== TEST 7: break inside if stops the script
--- config
    location = /t {
        set $v "before";
        if ($arg_a) { set $v "inside"; break; }
        set $v "after";
        return 200 "$v\n";
    }
--- user_files
>>> t
static t
--- request
GET /t?a=1
--- response_body
static t



=== TEST 8: if with a quoted empty string comparison
--- config
    location = /t {
        set $r "nonempty";
        if ($arg_a = "") { set $r "empty"; }
        return 200 "$r\n";
    }
--- request
GET /t
--- response_body
empty



=== TEST 9: if with a regex in quotes and a capture
--- config
    location = /t {
        if ($http_user_agent ~* "(curl|wget)/(\d+)") { return 200 "tool $1 v$2\n"; }
        return 200 "other\n";
    }
--- request
GET /t
--- more_headers
User-Agent: Wget/1.21
--- response_body
tool Wget v1
