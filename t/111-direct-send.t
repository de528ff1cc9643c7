# Responses on plain connections are written with one send(2) when NIO holds none of
# the connection's bytes; these check that bytes never overtake each other: a small
# response after a large one still queued, pipelined, keeps its place.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: pipelined small and large responses arrive in order
--- config
    location = /small {
        content_by_lua_block { ngx.say("small ", ngx.var.arg_n) }
    }
    location = /big {
        content_by_lua_block {
            local n = tonumber(ngx.var.arg_n)
            ngx.print(string.rep(string.char(96 + n), 8 * 1024 * 1024))
        }
    }
--- pipelined_requests eval
["GET /small?n=1", "GET /big?n=1", "GET /small?n=2", "GET /big?n=2", "GET /small?n=3"]
--- response_body eval
["small 1\n", "a" x (8 * 1024 * 1024), "small 2\n", "b" x (8 * 1024 * 1024), "small 3\n"]
--- no_error_log
[error]



=== TEST 2: a flushed head and chunks, then more requests on the connection
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("one")
            ngx.flush(true)
            ngx.say("two")
            ngx.flush()
            ngx.say(ngx.var.arg_n)
        }
    }
--- pipelined_requests eval
["GET /t?n=1", "GET /t?n=2", "GET /t?n=3"]
--- response_body eval
["one\ntwo\n1\n", "one\ntwo\n2\n", "one\ntwo\n3\n"]
--- no_error_log
[error]



=== TEST 3: a static file (sent by NIO) between small responses
--- config
    location = /small {
        return 200 "small $arg_n\n";
    }
    location = /file.txt {
        root html;
    }
--- user_files
>>> file.txt
file body
--- pipelined_requests eval
["GET /small?n=1", "GET /file.txt", "GET /small?n=2"]
--- response_body eval
["small 1\n", "file body\n", "small 2\n"]
--- no_error_log
[error]
