# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.errlog without lua_capture_error_log: get_sys_filter_level and raw_log,
# ported from lua-resty-core t/errlog.t and t/errlog-raw-log.t. The capture
# tests need OpenResty's error-log patch, which Debian's nginx lacks: they
# live in t/052-errlog-capture-moongate.t.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();
log_level('error');

run_tests();

__DATA__

=== TEST 1: the system filter level is "debug"
--- config
    location /t {
        content_by_lua_block {
            local errlog = require "ngx.errlog"
            ngx.print('Is "debug" the system default filter level? ',
                      errlog.get_sys_filter_level() == ngx.DEBUG)
        }
    }
--- log_level: debug
--- request
GET /t
--- response_body chomp
Is "debug" the system default filter level? true



=== TEST 2: the system filter level is "emerg"
--- config
    location /t {
        content_by_lua_block {
            local errlog = require "ngx.errlog"
            ngx.print('Is "emerg" the system default filter level? ',
                      errlog.get_sys_filter_level() == ngx.EMERG)
        }
    }
--- log_level: emerg
--- request
GET /t
--- response_body chomp
Is "emerg" the system default filter level? true



=== TEST 3: the system filter level in init_by_lua
--- http_config
    init_by_lua_block {
        local errlog = require "ngx.errlog"
        package.loaded.log_level = errlog.get_sys_filter_level()
    }
--- config
    location /t {
        content_by_lua_block {
            local log_level = package.loaded.log_level
            if log_level >= ngx.WARN then
                ngx.log(ngx.WARN, "log a warning event")
            else
                ngx.log(ngx.WARN, "do not log another warning event")
            end
        }
    }
--- log_level: warn
--- request
GET /t
--- error_log
log a warning event
--- no_error_log
do not log another warning event



=== TEST 4: the system filter level in init_worker_by_lua
--- http_config
    init_worker_by_lua_block {
        local errlog = require "ngx.errlog"
        package.loaded.log_level = errlog.get_sys_filter_level()
    }
--- config
    location /t {
        content_by_lua_block {
            ngx.say(package.loaded.log_level)
        }
    }
--- log_level: info
--- request
GET /t
--- response_body
7



=== TEST 5: raw_log writes the message without the Lua location
--- config
    location /t {
        content_by_lua_block {
            local errlog = require "ngx.errlog"
            errlog.raw_log(ngx.ERR, "hello raw world")
            ngx.say("done")
        }
    }
--- request
GET /t
--- response_body
done
--- error_log eval
qr/\[error\] \d+#\d+: \*\d+ hello raw world, client: 127\.0\.0\.1, server: localhost, request: "GET \/t HTTP\/1\.1", host: "localhost"/
--- no_error_log
[lua]



=== TEST 6: raw_log below the error log level writes nothing
--- config
    location /t {
        content_by_lua_block {
            local errlog = require "ngx.errlog"
            errlog.raw_log(ngx.INFO, "quiet raw line")
            ngx.say("done")
        }
    }
--- request
GET /t
--- response_body
done
--- no_error_log
quiet raw line



=== TEST 7: raw_log with a bad level
--- config
    location /t {
        content_by_lua_block {
            local errlog = require "ngx.errlog"
            for _, lvl in ipairs({-1, 9, 100}) do
                local ok, err = pcall(errlog.raw_log, lvl, "msg")
                ngx.say(lvl, ": ", ok, " ", err)
            end
        }
    }
--- request
GET /t
--- response_body
-1: false bad log level
9: false bad log level
100: false bad log level



=== TEST 8: raw_log with bad argument types
--- config
    location /t {
        content_by_lua_block {
            local errlog = require "ngx.errlog"
            local ok, err = pcall(errlog.raw_log, "4", "msg")
            ngx.say(ok, " ", err)
            ok, err = pcall(errlog.raw_log, ngx.ERR, 42)
            ngx.say(ok, " ", err)
            ok, err = pcall(errlog.raw_log, ngx.ERR)
            ngx.say(ok, " ", err)
        }
    }
--- request
GET /t
--- response_body
false bad argument #1 to 'raw_log' (must be a number)
false bad argument #2 to 'raw_log' (must be a string)
false bad argument #2 to 'raw_log' (must be a string)



=== TEST 9: set_filter_level without a level
--- config
    location /t {
        content_by_lua_block {
            local errlog = require "ngx.errlog"
            ngx.say(errlog.set_filter_level())
        }
    }
--- request
GET /t
--- response_body
nilmissing "level" argument
