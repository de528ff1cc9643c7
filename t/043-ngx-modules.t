# vim:set ft= ts=4 sw=4 et fdm=marker:
# require "resty.core", ngx.resp, ngx.req, ngx.process and ngx.errlog: ported
# from lua-resty-core t/resp.t, t/req.t (add_header), t/process-type*.t,
# t/errlog*.t and t/resty-core.t.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: require "resty.core" is a no-op for callers
--- http_config
    init_by_lua_block { require "resty.core" }
--- config
    location /t {
        content_by_lua_block {
            local core = require "resty.core"
            ngx.say(type(core), " ", type(ngx.say), " ", type(ngx.re.match))
        }
    }
--- request
GET /t
--- response_body
table function function
--- no_error_log
[error]



=== TEST 2: ngx.resp.add_header appends
--- config
    location /t {
        content_by_lua_block {
            local resp = require "ngx.resp"
            ngx.header["Foo"] = "bar"
            resp.add_header("Foo", "baz")
            resp.add_header("Foo", {"a", "b"})
            local v = ngx.header["Foo"]
            ngx.say(type(v), " ", table.concat(v, ","))
        }
    }
--- request
GET /t
--- response_body
table bar,baz,a,b



=== TEST 3: ngx.resp.add_header with nil
--- config
    location /t {
        content_by_lua_block {
            local resp = require "ngx.resp"
            local ok, err = pcall(resp.add_header, "Foo")
            ngx.say(err)
        }
    }
--- request
GET /t
--- response_body
invalid header value



=== TEST 4: ngx.req.add_header appends
--- config
    location /t {
        content_by_lua_block {
            local req = require "ngx.req"
            req.add_header("Foo", "new")
            req.add_header("Foo", {"x", "y"})
            local v = ngx.req.get_headers()["foo"]
            ngx.say(table.concat(v, ","))
        }
    }
--- more_headers
Foo: old
--- request
GET /t
--- response_body
old,new,x,y



=== TEST 5: ngx.req.add_header bad arguments
--- config
    location /t {
        content_by_lua_block {
            local req = require "ngx.req"
            local ok, err = pcall(req.add_header, nil, "a")
            ngx.say(err)
            ok, err = pcall(req.add_header, "Foo")
            ngx.say(err)
            ok, err = pcall(req.add_header, "Foo", {})
            ngx.say(err)
        }
    }
--- request
GET /t
--- response_body
bad 'name' argument: string expected, got nil
bad 'value' argument: string or table expected, got nil
bad 'value' argument: non-empty table expected



=== TEST 6: ngx.process.type in single process mode
--- config
    location /t {
        content_by_lua_block {
            local process = require "ngx.process"
            ngx.say("type: ", process.type())
        }
    }
--- request
GET /t
--- response_body
type: single



=== TEST 7: ngx.process.get_master_pid
--- config
    location /t {
        content_by_lua_block {
            local process = require "ngx.process"
            local pid = process.get_master_pid()
            ngx.say(type(pid), " ", pid == ngx.worker.pid())
        }
    }
--- request
GET /t
--- response_body
number true



=== TEST 8: enable_privileged_agent outside init
--- config
    location /t {
        content_by_lua_block {
            local process = require "ngx.process"
            ngx.say(process.enable_privileged_agent())
        }
    }
--- request
GET /t
--- response_body
nilAPI disabled in the current context



=== TEST 9: ngx.errlog.raw_log
--- config
    location /t {
        content_by_lua_block {
            local errlog = require "ngx.errlog"
            errlog.raw_log(ngx.ERR, "hello raw log")
            ngx.say("done")
        }
    }
--- request
GET /t
--- response_body
done
--- error_log eval
qr/\[error\] \S+: \*\d+ hello raw log/



=== TEST 10: ngx.errlog.raw_log bad arguments
--- config
    location /t {
        content_by_lua_block {
            local errlog = require "ngx.errlog"
            local ok, err = pcall(errlog.raw_log, "a", "b")
            ngx.say(err)
            ok, err = pcall(errlog.raw_log, ngx.ERR)
            ngx.say(err)
            ok, err = pcall(errlog.raw_log, 100, "x")
            ngx.say(err)
        }
    }
--- request
GET /t
--- response_body
bad argument #1 to 'raw_log' (must be a number)
bad argument #2 to 'raw_log' (must be a string)
bad log level



=== TEST 11: get_sys_filter_level
--- config
    location /t {
        content_by_lua_block {
            local errlog = require "ngx.errlog"
            ngx.say(errlog.get_sys_filter_level() == ngx.DEBUG)
        }
    }
--- request
GET /t
--- response_body
true



=== TEST 12: get_logs and set_filter_level without lua_capture_error_log
--- config
    location /t {
        content_by_lua_block {
            local errlog = require "ngx.errlog"
            ngx.say(errlog.get_logs(10))
            ngx.say(errlog.set_filter_level(ngx.WARN))
            ngx.say(errlog.set_filter_level())
        }
    }
--- request
GET /t
--- response_body_like eval
# OpenResty says the directive is not set; Debian's nginx lacks the patch.
qr/^nil(directive "lua_capture_error_log" is not set|missing the capture error log patch for nginx)
nil(directive "lua_capture_error_log" is not set|missing the capture error log patch for nginx)
nilmissing "level" argument
$/
