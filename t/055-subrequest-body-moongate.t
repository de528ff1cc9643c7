# vim:set ft= ts=4 sw=4 et fdm=marker:
# A subrequest started while the parent's body is still arriving (a light
# thread is reading it) waits for the whole body. Moongate only: nginx gives
# such a subrequest the parent's half-filled request_body, so what it sees
# depends on timing there.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: the subrequest gets the whole body that was still arriving
--- config
    location = /sub {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say("sub got: ", ngx.req.get_body_data())
        }
    }
    location = /slow {
        content_by_lua_block {
            local reader = ngx.thread.spawn(function ()
                ngx.req.read_body()
            end)
            local res = ngx.location.capture("/sub",
                                             { method = ngx.HTTP_POST })
            ngx.print(res.body)
            ngx.thread.wait(reader)
        }
    }
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", ngx.var.server_port))
            assert(sock:send("POST /slow HTTP/1.0\r\nHost: localhost\r\n"
                             .. "Content-Length: 11\r\n\r\nhello"))
            ngx.sleep(0.1)
            assert(sock:send(" world"))
            local resp = sock:receive("*a")
            ngx.print(resp:match("\r\n\r\n(.*)$"))
        }
    }
--- request
GET /t
--- response_body
sub got: hello world
--- no_error_log
[error]



=== TEST 2: a GET subrequest does not wait for the body
--- config
    location = /sub {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say("sub got: ", ngx.req.get_body_data())
        }
    }
    location = /slow {
        content_by_lua_block {
            local reader = ngx.thread.spawn(function ()
                ngx.req.read_body()
            end)
            local res = ngx.location.capture("/sub")
            ngx.print(res.body)
            ngx.thread.wait(reader)
            ngx.say("main got: ", ngx.req.get_body_data())
        }
    }
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", ngx.var.server_port))
            assert(sock:send("POST /slow HTTP/1.0\r\nHost: localhost\r\n"
                             .. "Content-Length: 11\r\n\r\nhello"))
            ngx.sleep(0.1)
            assert(sock:send(" world"))
            local resp = sock:receive("*a")
            ngx.print(resp:match("\r\n\r\n(.*)$"))
        }
    }
--- request
GET /t
--- response_body
sub got: nil
main got: hello world
--- no_error_log
[error]
