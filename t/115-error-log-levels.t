# vim:set ft= ts=4 sw=4 et fdm=marker:
# error_log at every level (ngx_log_set_log, clcf->error_log): a request logs to its
# location's logs, inherited from its server's, its http block's, and at last the main
# ones; several error_log directives at one level all get the lines their levels let
# through; ngx.errlog's filter level is the request's.

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

our $Read = <<'_EOC_';
    location = /reset {
        content_by_lua_block {
            for name in ngx.var.arg_names:gmatch("[^,]+") do
                local f = io.open(ngx.config.prefix() .. "logs/" .. name .. ".log", "w")
                if f then f:close() end
            end
            ngx.say("reset")
        }
    }
    location = /read {
        content_by_lua_block {
            for name in ngx.var.arg_names:gmatch("[^,]+") do
                local f = io.open(ngx.config.prefix() .. "logs/" .. name .. ".log")
                local lines = {}
                if f then
                    local s = f:read("*a")
                    f:close()
                    for line in s:gmatch("[^\n]+") do
                        local level = line:match("^[%d/ :]+%[(%a+)%]")
                        local msg = line:match("%[lua%] .-:%d+: ([%w ]+)")
                        if level and msg then
                            -- nginx appends the request's context to every line but debug ones.
                            local ctx = line:find(", client: 127.0.0.1, server: localhost, request: \"GET", 1, true)
                            lines[#lines + 1] = level .. " " .. msg .. (ctx and " +ctx" or "")
                        end
                    end
                end
                ngx.say(name, ": ", table.concat(lines, "; "))
            end
        }
    }
_EOC_

run_tests();

__DATA__

=== TEST 1: a server's error_log gets its requests' lines, with their context; the main log does not
--- config eval
"    error_log logs/t1-server.log warn;
    location = /log {
        content_by_lua_block {
            ngx.log(ngx.WARN, \"to the server log\")
            ngx.log(ngx.INFO, \"below its level\")
            ngx.say(\"logged\")
        }
    }
$::Read"
--- request eval
["GET /reset?names=t1-server", "GET /log", "GET /read?names=t1-server"]
--- response_body eval
["reset\n", "logged\n", "t1-server: warn to the server log +ctx\n"]
--- no_error_log
to the server log
below its level



=== TEST 2: a location's error_log: its level is what ngx.log and ngx.errlog filter on there, the server's elsewhere; debug lines carry no request context
--- log_level: warn
--- config eval
"    location = /log {
        error_log logs/t2-l1.log debug;
        content_by_lua_block {
            local errlog = require \"ngx.errlog\"
            ngx.log(ngx.DEBUG, \"debug line\")
            ngx.say(errlog.get_sys_filter_level() == ngx.DEBUG)
        }
    }
    location = /other {
        content_by_lua_block {
            local errlog = require \"ngx.errlog\"
            ngx.log(ngx.DEBUG, \"not logged\")
            ngx.say(errlog.get_sys_filter_level() == ngx.WARN)
        }
    }
$::Read"
--- request eval
["GET /reset?names=t2-l1", "GET /log", "GET /other", "GET /read?names=t2-l1"]
--- response_body eval
["reset\n", "true\n", "true\n", "t2-l1: debug debug line\n"]
--- no_error_log
debug line
not logged



=== TEST 3: http-level error_log is inherited by locations without one; a location with its own logs there only
--- http_config
    error_log logs/t3-http.log info;
--- config eval
"    location = /a {
        content_by_lua_block {
            ngx.log(ngx.WARN, \"from a\")
            ngx.say(\"a\")
        }
    }
    location = /b {
        error_log logs/t3-b.log warn;
        content_by_lua_block {
            ngx.log(ngx.WARN, \"from b\")
            ngx.say(\"b\")
        }
    }
$::Read"
--- request eval
["GET /reset?names=t3-http,t3-b", "GET /a", "GET /b", "GET /read?names=t3-http,t3-b"]
--- response_body eval
["reset\n", "a\n", "b\n", "t3-http: warn from a +ctx\nt3-b: warn from b +ctx\n"]
--- no_error_log
from a
from b



=== TEST 4: two error_log directives in one location: each file gets what its level lets through
--- config eval
"    location = /log {
        error_log logs/t4-l1.log warn;
        error_log logs/t4-l2.log error;
        content_by_lua_block {
            ngx.log(ngx.WARN, \"a warning\")
            ngx.log(ngx.ERR, \"an error\")
            ngx.say(\"ok\")
        }
    }
$::Read"
--- request eval
["GET /reset?names=t4-l1,t4-l2", "GET /log", "GET /read?names=t4-l1,t4-l2"]
--- response_body eval
["reset\n", "ok\n", "t4-l1: warn a warning +ctx; error an error +ctx\nt4-l2: error an error +ctx\n"]
--- no_error_log
a warning



=== TEST 5: a second error_log at the main level gets the lines too
--- main_config
    error_log logs/t5-extra.log warn;
--- config eval
"    location = /log {
        content_by_lua_block {
            ngx.log(ngx.WARN, \"in both main logs\")
            ngx.say(\"ok\")
        }
    }
$::Read"
--- request eval
["GET /reset?names=t5-extra", "GET /log", "GET /read?names=t5-extra"]
--- response_body eval
["reset\n", "ok\n", "t5-extra: warn in both main logs +ctx\n"]
--- error_log
in both main logs



=== TEST 6: an error_log file that cannot be opened refuses the configuration
--- config
    location = /t {
        error_log /nonexistent-moongate-dir/t.log;
        return 200;
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?open\(\) "/nonexistent-moongate-dir/t\.log" failed \(2: No such file or directory\)}



=== TEST 7: a second main-level error_log file that cannot be opened refuses the configuration too
--- main_config
    error_log /nonexistent-moongate-dir/main.log;
--- config
    location = /t {
        return 200;
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?open\(\) "/nonexistent-moongate-dir/main\.log" failed \(2: No such file or directory\)}
