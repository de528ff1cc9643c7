# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.on_abort with lua_check_client_abort on: a client that closes while the
# handler waits starts the abort function as a light thread. The handlers sleep
# well past the client's timeout: a client starved of CPU under `mgprove -j`
# on a busy machine may close late.

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();
log_level('warn');

run_tests();

__DATA__

=== TEST 1: the abort handler runs and ends the request with ngx.exit(499)
--- config
    lua_check_client_abort on;
    location = /t {
        content_by_lua_block {
            local ok, err = ngx.on_abort(function()
                ngx.log(ngx.WARN, "on abort called")
                ngx.exit(499)
            end)
            if not ok then
                ngx.log(ngx.ERR, "failed to set on_abort: ", err)
                return
            end
            ngx.sleep(4)
            ngx.log(ngx.WARN, "main handler done")
        }
    }
--- request
GET /t
--- timeout: 0.5
--- abort
--- wait: 4.1
--- ignore_response
--- error_log
on abort called
--- no_error_log
main handler done
[error]



=== TEST 2: an abort handler that does not exit lets the handler go on
--- config
    lua_check_client_abort on;
    location = /t {
        content_by_lua_block {
            assert(ngx.on_abort(function()
                ngx.log(ngx.WARN, "on abort called")
            end))
            ngx.sleep(1.5)
            ngx.log(ngx.WARN, "main handler done")
        }
    }
--- request
GET /t
--- timeout: 0.2
--- abort
--- wait: 2.5
--- ignore_response
--- error_log
on abort called
main handler done
--- no_error_log
[error]



=== TEST 3: without an abort handler the request ends at once
--- config
    lua_check_client_abort on;
    location = /t {
        content_by_lua_block {
            ngx.sleep(1.5)
            ngx.log(ngx.WARN, "main handler done")
        }
    }
--- request
GET /t
--- timeout: 0.2
--- abort
--- wait: 1.8
--- ignore_response
--- no_error_log
main handler done
[error]



=== TEST 4: a second ngx.on_abort is a duplicate call
--- config
    lua_check_client_abort on;
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.on_abort(function() end))
            ngx.say(ngx.on_abort(function() end))
        }
    }
--- request
GET /t
--- response_body
1
nilduplicate call
--- no_error_log
[error]



=== TEST 5: ngx.on_abort wants a function
--- config
    lua_check_client_abort on;
    location = /t {
        content_by_lua_block {
            local ok, err = pcall(ngx.on_abort, "x")
            ngx.say(err)
            ok, err = pcall(function() ngx.on_abort() end)
            ngx.say(err)
        }
    }
--- request
GET /t
--- response_body_like eval
qr/\Abad argument #1 to '\?' \(Lua function expected\)\n.*:\d+: bad argument #1 to 'on_abort' \(Lua function expected\)\n\z/
--- no_error_log
[error]
