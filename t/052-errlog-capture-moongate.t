# vim:set ft= ts=4 sw=4 et fdm=marker:
# lua_capture_error_log and ngx.errlog's get_logs/set_filter_level, ported
# from lua-resty-core t/errlog.t (0.1.25: get_logs returns level, time, msg).
# Moongate only: the directive needs OpenResty's intercept_error_log patch,
# which Debian's nginx lacks ("lua_capture_error_log" directive not found:
# missing the capture error log patch for nginx).

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();
log_level('error');

run_tests();

__DATA__

=== TEST 1: sanity
--- http_config
    lua_capture_error_log 4m;
--- config
    location /t {
        access_by_lua_block {
            ngx.log(ngx.ERR, "enter 1")
            ngx.log(ngx.ERR, "enter 11")

            local errlog = require "ngx.errlog"
            local res, err = errlog.get_logs()
            if not res then
                error("FAILED " .. err)
            end
            ngx.say("log lines:", #res / 3)
        }
    }
--- request
GET /t
--- response_body
log lines:2
--- grep_error_log eval
qr/enter \d+/
--- grep_error_log_out
enter 1
enter 11



=== TEST 2: a line longer than the buffer is not captured
--- http_config
    lua_capture_error_log 4k;
--- config
    location /t {
        access_by_lua_block {
            ngx.log(ngx.ERR, "enter 1")
            ngx.log(ngx.ERR, "enter 22" .. string.rep("a", 4096))

            local errlog = require "ngx.errlog"
            local res, err = errlog.get_logs()
            if not res then
                error("FAILED " .. err)
            end
            ngx.say("log lines:", #res / 3)
        }
    }
--- request
GET /t
--- response_body
log lines:1



=== TEST 3: 404 error (not found)
--- http_config
    lua_capture_error_log 4m;
--- config
    log_by_lua_block {
        local errlog = require "ngx.errlog"
        local res, err = errlog.get_logs()
        if not res then
            error("FAILED " .. err)
        end
        ngx.log(ngx.ERR, "capture log line:", #res / 3)
    }
--- request
GET /t
--- error_code: 404
--- grep_error_log eval
qr/capture log line:\d+|No such file or directory/
--- grep_error_log_out eval
qr/^No such file or directory
capture log line:1
$/



=== TEST 4: 500 error
--- http_config
    lua_capture_error_log 4m;
--- config
    location /t {
        content_by_lua_block {
            local t = {}/4
        }
    }
    log_by_lua_block {
        local errlog = require "ngx.errlog"
        local res, err = errlog.get_logs()
        if not res then
            error("FAILED " .. err)
        end
        ngx.log(ngx.ERR, "capture log line:", #res / 3)
    }
--- request
GET /t
--- error_code: 500
--- grep_error_log eval
qr/capture log line:\d+|attempt to perform arithmetic on a table value/
--- grep_error_log_out eval
qr/^attempt to perform arithmetic on a table value
capture log line:1
$/



=== TEST 5: no error log
--- http_config
    lua_capture_error_log 4m;
--- config
    location /t {
        content_by_lua_block { ngx.say("hello") }
    }
    log_by_lua_block {
        local errlog = require "ngx.errlog"
        local res, err = errlog.get_logs()
        if not res then
            error("FAILED " .. err)
        end
        ngx.log(ngx.ERR, "capture log line:", #res / 3)
    }
--- request
GET /t
--- response_body
hello
--- grep_error_log eval
qr/capture log line:\d+/
--- grep_error_log_out
capture log line:0



=== TEST 6: invalid size (< 4k)
--- http_config
    lua_capture_error_log 3k;
--- config
    location /t {
        return 200;
    }
--- must_die
--- error_log
invalid capture error log size "3k", minimum size is 4096



=== TEST 7: invalid size (no argument)
--- http_config
    lua_capture_error_log;
--- config
    location /t {
        return 200;
    }
--- must_die
--- error_log
invalid number of arguments in "lua_capture_error_log" directive



=== TEST 8: invalid size (not a size)
--- http_config
    lua_capture_error_log abc;
--- config
    location /t {
        return 200;
    }
--- must_die
--- error_log
invalid capture error log size "abc", minimum size is 4096



=== TEST 9: duplicate directive
--- http_config
    lua_capture_error_log 4k;
    lua_capture_error_log 8k;
--- config
    location /t {
        return 200;
    }
--- must_die
--- error_log
"lua_capture_error_log" directive is duplicate



=== TEST 10: not allowed in a server block
--- config
    lua_capture_error_log 4k;
    location /t {
        return 200;
    }
--- must_die
--- error_log
"lua_capture_error_log" directive is not allowed here



=== TEST 11: without the directive: get_logs
--- config
    location /t {
        access_by_lua_block {
            ngx.log(ngx.ERR, "enter 1")

            local errlog = require "ngx.errlog"
            local res, err = errlog.get_logs()
            if not res then
                error("FAILED " .. err)
            end
            ngx.say("log lines:", #res / 3)
        }
    }
--- request
GET /t
--- response_body_like: 500 Internal Server Error
--- error_code: 500
--- error_log
directive "lua_capture_error_log" is not set



=== TEST 12: without the directive: set_filter_level
--- config
    location /t {
        access_by_lua_block {
            local errlog = require "ngx.errlog"
            local status, err = errlog.set_filter_level(ngx.ERR)
            if not status then
                error(err)
            end
        }
    }
--- request
GET /t
--- response_body_like: 500 Internal Server Error
--- error_code: 500
--- error_log
directive "lua_capture_error_log" is not set



=== TEST 13: filter log by level(ngx.INFO)
--- http_config
    lua_capture_error_log 4m;
--- config
    location /t {
        access_by_lua_block {
            local errlog = require "ngx.errlog"
            local status, err = errlog.set_filter_level(ngx.INFO)
            if not status then
                error(err)
            end

            ngx.log(ngx.INFO, "-->1")
            ngx.log(ngx.WARN, "-->2")
            ngx.log(ngx.ERR, "-->3")
        }
        content_by_lua_block {
            local errlog = require "ngx.errlog"
            -- the runner's readiness probe may log at info: count ours only
            local res = errlog.get_logs()
            local n = 0
            for i = 3, #res, 3 do
                if res[i]:find("-->", 1, true) then
                    n = n + 1
                end
            end
            ngx.say("log lines:", n)
        }
    }
--- log_level: info
--- request
GET /t
--- response_body
log lines:3



=== TEST 14: filter log by level(ngx.WARN)
--- http_config
    lua_capture_error_log 4m;
--- config
    location /t {
        access_by_lua_block {
            local errlog = require "ngx.errlog"
            local status, err = errlog.set_filter_level(ngx.WARN)
            if not status then
                error(err)
            end

            ngx.log(ngx.INFO, "-->1")
            ngx.log(ngx.WARN, "-->2")
            ngx.log(ngx.ERR, "-->3")
        }
        content_by_lua_block {
            local errlog = require "ngx.errlog"
            -- the runner's readiness probe may log at info: count ours only
            local res = errlog.get_logs()
            local n = 0
            for i = 3, #res, 3 do
                if res[i]:find("-->", 1, true) then
                    n = n + 1
                end
            end
            ngx.say("log lines:", n)
        }
    }
--- log_level: info
--- request
GET /t
--- response_body
log lines:2
--- grep_error_log eval
qr/-->\d+/
--- grep_error_log_out
-->1
-->2
-->3



=== TEST 15: filter log by level(ngx.CRIT)
--- http_config
    lua_capture_error_log 4m;
--- log_level: info
--- config
    location /t {
        access_by_lua_block {
            local errlog = require "ngx.errlog"
            local status, err = errlog.set_filter_level(ngx.CRIT)
            if not status then
                error(err)
            end

            ngx.log(ngx.INFO, "-->1")
            ngx.log(ngx.WARN, "-->2")
            ngx.log(ngx.ERR, "-->3")
        }
        content_by_lua_block {
            local errlog = require "ngx.errlog"
            -- the runner's readiness probe may log at info: count ours only
            local res = errlog.get_logs()
            local n = 0
            for i = 3, #res, 3 do
                if res[i]:find("-->", 1, true) then
                    n = n + 1
                end
            end
            ngx.say("log lines:", n)
        }
    }
--- request
GET /t
--- response_body
log lines:0



=== TEST 16: lines below the error_log level are not captured
--- http_config
    lua_capture_error_log 4m;
--- log_level: warn
--- config
    location /t {
        content_by_lua_block {
            local errlog = require "ngx.errlog"
            assert(errlog.set_filter_level(ngx.DEBUG))
            ngx.log(ngx.INFO, "-->1")
            ngx.log(ngx.WARN, "-->2")
            local res = errlog.get_logs()
            ngx.say("log lines:", #res / 3)
        }
    }
--- request
GET /t
--- response_body
log lines:1



=== TEST 17: bad filter levels
--- http_config
    lua_capture_error_log 4m;
--- config
    location /t {
        content_by_lua_block {
            local errlog = require "ngx.errlog"
            ngx.say(errlog.set_filter_level(9))
            ngx.say(errlog.set_filter_level(-1))
            ngx.say(errlog.set_filter_level())
            ngx.say(errlog.set_filter_level(ngx.STDERR))
        }
    }
--- request
GET /t
--- response_body
nilbad log level: 9
nilbad log level: -1
nilmissing "level" argument
true



=== TEST 18: set max count and reuse table
--- http_config
    lua_capture_error_log 4m;
--- config
    location /t {
        access_by_lua_block {
            local tab_clear = require "table.clear"
            ngx.log(ngx.ERR, "enter 1")
            ngx.log(ngx.ERR, "enter 22")
            ngx.log(ngx.ERR, "enter 333")

            local errlog = require "ngx.errlog"
            local res = {}
            local err
            res, err = errlog.get_logs(2, res)
            if not res then
                error("FAILED " .. err)
            end
            ngx.say("log lines:", #res / 3)

            tab_clear(res)
            res, err = errlog.get_logs(2, res)
            if not res then
                error("FAILED " .. err)
            end
            ngx.say("log lines:", #res / 3)
        }
    }
--- request
GET /t
--- response_body
log lines:2
log lines:1



=== TEST 19: the captured line, its level and time
--- http_config
    lua_capture_error_log 4m;
--- config
    location /t {
        access_by_lua_block {
            local errlog = require "ngx.errlog"
            local status, err = errlog.set_filter_level(ngx.WARN)
            if not status then
                error(err)
            end

            ngx.log(ngx.INFO, "-->1")
            ngx.log(ngx.WARN, "-->2")
            ngx.log(ngx.ERR, "-->3")
        }

        content_by_lua_block {
            local errlog = require "ngx.errlog"
            local now = ngx.now()
            local res = errlog.get_logs()
            for i = 1, #res, 3 do
                ngx.say("log level:", res[i])
                ngx.say("log time ok:", type(res[i + 1]) == "number"
                        and res[i + 1] <= now and now - res[i + 1] < 5)
                ngx.say("log body:",  res[i + 2])
            end
        }
    }
--- log_level: info
--- request
GET /t
--- response_body_like
log level:5
log time ok:true
log body:\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} \[warn\] (\d+).*access_by_lua\(nginx.conf:\d+\):\d+: -->2, client: 127.0.0.1, server: localhost, request: "GET /t HTTP/1.1", host: "localhost"
log level:4
log time ok:true
log body:\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} \[error\] (\d+).*access_by_lua\(nginx.conf:\d+\):\d+: -->3, client: 127.0.0.1, server: localhost, request: "GET /t HTTP/1.1", host: "localhost"



=== TEST 20: flood the capturing buffer (4k): the oldest lines go
--- http_config
    lua_capture_error_log 4k;
--- config
    location /t {
        access_by_lua_block {
            local errlog = require "ngx.errlog"
            local status, err = errlog.set_filter_level(ngx.WARN)
            if not status then
                error(err)
            end

            for i = 1, 100 do
                ngx.log(ngx.INFO, "--> ", i)
                ngx.log(ngx.WARN, "--> ", i)
                ngx.log(ngx.ERR, "--> ", i)
            end
        }

        content_by_lua_block {
            local errlog = require "ngx.errlog"
            local res = errlog.get_logs(1000)
            ngx.say("log lines: #", #res / 3)

            -- last 3 logs
            for i = #res - 8, #res, 3 do
                ngx.say("log level:", res[i])
                ngx.say("log body:", res[i + 2])
            end
            ngx.say(#errlog.get_logs())
        }
    }
--- log_level: info
--- request
GET /t
--- response_body_like chomp
\Alog lines: #2[01]
log level:4
log body:\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} \[error\] (\d+).*access_by_lua\(nginx.conf:\d+\):\d+: --> 99, client: 127.0.0.1, server: localhost, request: "GET /t HTTP/1.1", host: "localhost"
log level:5
log body:\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} \[warn\] (\d+).*access_by_lua\(nginx.conf:\d+\):\d+: --> 100, client: 127.0.0.1, server: localhost, request: "GET /t HTTP/1.1", host: "localhost"
log level:4
log body:\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} \[error\] (\d+).*access_by_lua\(nginx.conf:\d+\):\d+: --> 100, client: 127.0.0.1, server: localhost, request: "GET /t HTTP/1.1", host: "localhost"
0
\z



=== TEST 21: multi-line error log
--- http_config
    lua_capture_error_log 4k;
--- config
    location /t {
        access_by_lua_block {
            ngx.log(ngx.ERR, "-->\n", "new line")
        }

        content_by_lua_block {
            local errlog = require "ngx.errlog"
            local res = errlog.get_logs()
            ngx.say("log lines: #", #res / 3)

            for i = 1, #res, 3 do
                ngx.say("log level:", res[i])
                ngx.say("log body:",  res[i + 2])
            end
        }
    }
--- request
GET /t
--- response_body_like chomp
\Alog lines: #1
log level:4
log body:\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} \[error\] (\d+).*access_by_lua\(nginx.conf:\d+\):\d+: -->
new line, client: 127.0.0.1, server: localhost, request: "GET /t HTTP/1.1", host: "localhost"
\z



=== TEST 22: user-supplied table (one log, then none)
--- http_config
    lua_capture_error_log 4k;
--- config
    location /t {
        access_by_lua_block {
            ngx.log(ngx.ERR, "-->\n", "new line")
        }

        content_by_lua_block {
            local errlog = require "ngx.errlog"
            local t = {}

            for i = 1, 2 do
                local res = errlog.get_logs(10, t)
                ngx.say("maybe log lines: #", #res / 3)
                for j = 1, #res, 3 do
                    local level, msg = res[j], res[j + 2]
                    if not level then
                        break
                    end
                    ngx.say("log level:", level)
                end
                ngx.say("end")
            end
        }
    }
--- request
GET /t
--- response_body
maybe log lines: #1
log level:4
end
maybe log lines: #1
end



=== TEST 23: ring buffer overflow while reading one by one
--- http_config
    lua_capture_error_log 4k;
--- config
    location /t {
        access_by_lua_block {
            local msg = string.rep("*", 10)
            for i = 1, 2 do
                ngx.log(ngx.ERR, msg .. i)
            end
        }

        content_by_lua_block {
            local errlog = require "ngx.errlog"
            local msg = string.rep("*", 10)

            for i = 1, 40 do
                local res = errlog.get_logs(1)
                if res and #res then
                    ngx.log(ngx.ERR, msg .. i)
                end
            end

            local res = errlog.get_logs()
            for i = 1, #res, 3 do
                ngx.say("log level: ", res[i])
                ngx.say("log body: ", res[i + 2])
            end
        }
    }
--- request
GET /t
--- response_body_like chomp
\Alog level: 4
log body: \d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} \[error\] (\d+).*?content_by_lua\(nginx.conf:\d+\):\d+: \*{10}39, client: 127.0.0.1, server: localhost, request: "GET /t HTTP/1.1", host: "localhost"
log level: 4
log body: \d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} \[error\] (\d+).*?content_by_lua\(nginx.conf:\d+\):\d+: \*{10}40, client: 127.0.0.1, server: localhost, request: "GET /t HTTP/1.1", host: "localhost"
\z



=== TEST 24: ring buffer wraps past a big line
--- http_config
    lua_capture_error_log 4k;
--- config
    location /t {
        access_by_lua_block {
            local msg = string.rep("a", 20)
            local bigmsg = string.rep("A", 3000)

            for i = 1, 10 do
                ngx.log(ngx.ERR, msg)
            end
            ngx.log(ngx.ERR, bigmsg)
            ngx.log(ngx.ERR, msg)
        }

        content_by_lua_block {
            local errlog = require "ngx.errlog"

            local res = errlog.get_logs(2)
            ngx.say("log lines: #", #res / 3)

            for i = 1, #res, 3 do
                ngx.say(string.gsub(res[i + 2], "^.*([Aa][Aa][Aa]).*$", "%1"), "")
            end
        }
    }
--- request
GET /t
--- response_body
log lines: #2
AAA
aaa



=== TEST 25: ring buffer sentinel after a partial read
--- http_config
    lua_capture_error_log 4k;
--- config
    location /t {
        access_by_lua_block {
            local msg = string.rep("a", 20)
            for i = 1, 20 do
                ngx.log(ngx.ERR, msg)
            end
        }

        content_by_lua_block {
            local errlog = require "ngx.errlog"
            local msg = string.rep("a", 20)

            local res = errlog.get_logs(18)
            ngx.say("log lines: #", #res / 3)

            for i = 1, 18 do
                ngx.log(ngx.ERR, msg)
            end

            local bigmsg = string.rep("A", 2000)
            ngx.log(ngx.ERR, bigmsg)

            local res = errlog.get_logs()
            ngx.say("log lines: #", #res / 3)
        }
    }
--- request
GET /t
--- response_body
log lines: #18
log lines: #8



=== TEST 26: raw_log lines are captured too
--- http_config
    lua_capture_error_log 4k;
--- config
    location /t {
        content_by_lua_block {
            local errlog = require "ngx.errlog"
            errlog.raw_log(ngx.CRIT, "raw one")
            local res = errlog.get_logs()
            ngx.say(#res / 3, " ", res[1], " ",
                    res[3]:match("%] %d+#%d+: %*%d+ raw one, client") ~= nil)
        }
    }
--- request
GET /t
--- response_body
1 3 true



=== TEST 27: lines logged before the request (init_worker_by_lua)
--- http_config
    lua_capture_error_log 4k;
    init_worker_by_lua_block {
        ngx.log(ngx.ERR, "from init worker")
    }
--- config
    location /t {
        content_by_lua_block {
            local errlog = require "ngx.errlog"
            local res = errlog.get_logs()
            ngx.say(#res / 3, " ", res[3]:find("from init worker", 1, true) ~= nil)
        }
    }
--- request
GET /t
--- response_body
1 true
