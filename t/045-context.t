# vim:set ft= ts=4 sw=4 et fdm=marker:
# Context checks: every request API called from a phase where ngx_lua
# forbids it raises ngx_lua's message (ported from the "API disabled in the
# context of" cases spread over lua-nginx-module t/*.t).

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

our $HttpConfig = <<'_EOC_';
    init_by_lua_block {
        local calls = {
            { "say", function() return ngx.say("x") end },
            { "print", function() return ngx.print("x") end },
            { "flush", function() return ngx.flush() end },
            { "eof", function() return ngx.eof() end },
            { "send_headers", function() return ngx.send_headers() end },
            { "exec", function() return ngx.exec("/x") end },
            { "redirect", function() return ngx.redirect("/x") end },
            { "read_body", function() return ngx.req.read_body() end },
            { "set_uri_jump", function() return ngx.req.set_uri("/x", true) end },
            { "sleep", function() return ngx.sleep(0.001) end },
            { "capture", function() return ngx.location.capture("/x") end },
            { "capture_multi", function()
                return ngx.location.capture_multi{ { "/x" } } end },
            { "set_header", function()
                return ngx.req.set_header("X-A", "1") end },
            { "set_body_data", function()
                return ngx.req.set_body_data("x") end },
            { "discard_body", function() return ngx.req.discard_body() end },
            { "init_body", function() return ngx.req.init_body() end },
            { "set_method", function()
                return ngx.req.set_method(ngx.HTTP_POST) end },
            { "set_uri_args", function()
                return ngx.req.set_uri_args("a=1") end },
            { "on_abort", function()
                return ngx.on_abort(function() end) end },
            { "resp_header", function() ngx.header["X-B"] = "1" end },
            { "status", function() ngx.status = 201 end },
        }
        package.loaded.probe = function(tag)
            for _, c in ipairs(calls) do
                local ok, err = pcall(c[2])
                if not ok then
                    -- the reference's nginx.conf has extra load_module lines
                    err = string.gsub(tostring(err),
                                      "^init_by_lua%(nginx%.conf:%d+%):%d+: ",
                                      "")
                end
                ngx.log(ngx.WARN, "probe ", tag, " ", c[1], ": ",
                        ok and "ok" or err)
            end
        end
    }
_EOC_

run_tests();

__DATA__

=== TEST 1: header_filter_by_lua
--- http_config eval: $::HttpConfig
--- config
    location /t {
        content_by_lua_block { ngx.say("ok") }
        header_filter_by_lua_block { package.loaded.probe("header_filter") }
    }
--- request
GET /t
--- ignore_response
--- grep_error_log eval: qr/probe \S+ \S+: [^,\n]*/
--- grep_error_log_out
probe header_filter say: API disabled in the context of header_filter_by_lua*
probe header_filter print: API disabled in the context of header_filter_by_lua*
probe header_filter flush: API disabled in the context of header_filter_by_lua*
probe header_filter eof: API disabled in the context of header_filter_by_lua*
probe header_filter send_headers: API disabled in the context of header_filter_by_lua*
probe header_filter exec: API disabled in the context of header_filter_by_lua*
probe header_filter redirect: API disabled in the context of header_filter_by_lua*
probe header_filter read_body: API disabled in the context of header_filter_by_lua*
probe header_filter set_uri_jump: API disabled in the context of header_filter_by_lua*
probe header_filter sleep: API disabled in the context of header_filter_by_lua*
probe header_filter capture: API disabled in the context of header_filter_by_lua*
probe header_filter capture_multi: API disabled in the context of header_filter_by_lua*
probe header_filter set_header: ok
probe header_filter set_body_data: request body not read yet
probe header_filter discard_body: ok
probe header_filter init_body: request body not read yet
probe header_filter set_method: ok
probe header_filter set_uri_args: ok
probe header_filter on_abort: ok
probe header_filter resp_header: ok
probe header_filter status: ok



=== TEST 2: body_filter_by_lua
--- http_config eval: $::HttpConfig
--- config
    location /t {
        content_by_lua_block { ngx.say("ok") }
        body_filter_by_lua_block {
            if ngx.arg[2] then package.loaded.probe("body_filter") end
        }
    }
--- request
GET /t
--- ignore_response
--- grep_error_log eval: qr/probe \S+ \S+: [^,\n]*/
--- grep_error_log_out
probe body_filter say: API disabled in the context of body_filter_by_lua*
probe body_filter print: API disabled in the context of body_filter_by_lua*
probe body_filter flush: API disabled in the context of body_filter_by_lua*
probe body_filter eof: ok
probe body_filter send_headers: API disabled in the context of body_filter_by_lua*
probe body_filter exec: API disabled in the context of body_filter_by_lua*
probe body_filter redirect: API disabled in the context of body_filter_by_lua*
probe body_filter read_body: API disabled in the context of body_filter_by_lua*
probe body_filter set_uri_jump: API disabled in the context of body_filter_by_lua*
probe body_filter sleep: API disabled in the context of body_filter_by_lua*
probe body_filter capture: API disabled in the context of body_filter_by_lua*
probe body_filter capture_multi: API disabled in the context of body_filter_by_lua*
probe body_filter set_header: ok
probe body_filter set_body_data: request body not read yet
probe body_filter discard_body: ok
probe body_filter init_body: request body not read yet
probe body_filter set_method: ok
probe body_filter set_uri_args: ok
probe body_filter on_abort: ok
probe body_filter resp_header: ok
probe body_filter status: ok



=== TEST 3: log_by_lua
--- http_config eval: $::HttpConfig
--- config
    location /t {
        content_by_lua_block { ngx.say("ok") }
        log_by_lua_block { package.loaded.probe("log") }
    }
--- request
GET /t
--- response_body
ok
--- grep_error_log eval: qr/probe \S+ \S+: [^,\n]*/
--- grep_error_log_out
probe log say: API disabled in the context of log_by_lua* while logging request
probe log print: API disabled in the context of log_by_lua* while logging request
probe log flush: API disabled in the context of log_by_lua* while logging request
probe log eof: ok while logging request
probe log send_headers: API disabled in the context of log_by_lua* while logging request
probe log exec: API disabled in the context of log_by_lua* while logging request
probe log redirect: API disabled in the context of log_by_lua* while logging request
probe log read_body: API disabled in the context of log_by_lua* while logging request
probe log set_uri_jump: API disabled in the context of log_by_lua* while logging request
probe log sleep: API disabled in the context of log_by_lua* while logging request
probe log capture: API disabled in the context of log_by_lua* while logging request
probe log capture_multi: API disabled in the context of log_by_lua* while logging request
probe log set_header: ok while logging request
probe log set_body_data: request body not read yet while logging request
probe log discard_body: ok while logging request
probe log init_body: request body not read yet while logging request
probe log set_method: ok while logging request
probe log set_uri_args: ok while logging request
probe log on_abort: ok while logging request
probe log resp_header: ok while logging request
probe log status: ok while logging request



=== TEST 4: set_by_lua
--- http_config eval: $::HttpConfig
--- config
    location /t {
        set_by_lua_block $a { package.loaded.probe("set") return 1 }
        return 200 "ok\n";
    }
--- request
GET /t
--- ignore_response
--- grep_error_log eval: qr/probe \S+ \S+: [^,\n]*/
--- grep_error_log_out
probe set say: API disabled in the context of set_by_lua*
probe set print: API disabled in the context of set_by_lua*
probe set flush: API disabled in the context of set_by_lua*
probe set eof: API disabled in the context of set_by_lua*
probe set send_headers: API disabled in the context of set_by_lua*
probe set exec: API disabled in the context of set_by_lua*
probe set redirect: API disabled in the context of set_by_lua*
probe set read_body: API disabled in the context of set_by_lua*
probe set set_uri_jump: API disabled in the context of set_by_lua*
probe set sleep: API disabled in the context of set_by_lua*
probe set capture: API disabled in the context of set_by_lua*
probe set capture_multi: API disabled in the context of set_by_lua*
probe set set_header: ok
probe set set_body_data: request body not read yet
probe set discard_body: ok
probe set init_body: request body not read yet
probe set set_method: ok
probe set set_uri_args: ok
probe set on_abort: ok
probe set resp_header: ok
probe set status: ok



=== TEST 5: init_worker_by_lua
--- http_config eval: $::HttpConfig
--- init_worker_by_lua_block
    package.loaded.probe("init_worker")
--- config
    location /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body
ok
--- grep_error_log eval: qr/probe \S+ \S+: [^,\n]*/
--- grep_error_log_out
probe init_worker say: API disabled in the context of init_worker_by_lua*
probe init_worker print: API disabled in the context of init_worker_by_lua*
probe init_worker flush: API disabled in the context of init_worker_by_lua*
probe init_worker eof: API disabled in the context of init_worker_by_lua*
probe init_worker send_headers: API disabled in the context of init_worker_by_lua*
probe init_worker exec: API disabled in the context of init_worker_by_lua*
probe init_worker redirect: API disabled in the context of init_worker_by_lua*
probe init_worker read_body: API disabled in the context of init_worker_by_lua*
probe init_worker set_uri_jump: API disabled in the current context
probe init_worker sleep: API disabled in the context of init_worker_by_lua*
probe init_worker capture: API disabled in the context of init_worker_by_lua*
probe init_worker capture_multi: API disabled in the context of init_worker_by_lua*
probe init_worker set_header: API disabled in the current context
probe init_worker set_body_data: API disabled in the current context
probe init_worker discard_body: API disabled in the current context
probe init_worker init_body: API disabled in the current context
probe init_worker set_method: API disabled in the current context
probe init_worker set_uri_args: API disabled in the current context
probe init_worker on_abort: API disabled in the context of init_worker_by_lua*
probe init_worker resp_header: API disabled in the current context
probe init_worker status: API disabled in the current context



=== TEST 6: ngx.on_abort without lua_check_client_abort
--- config
    location /t {
        content_by_lua_block {
            ngx.say(ngx.on_abort(function() end))
        }
    }
--- request
GET /t
--- response_body
nillua_check_client_abort is off



=== TEST 7: ngx.on_abort registers once
--- config
    location /t {
        lua_check_client_abort on;
        content_by_lua_block {
            local ok, err = pcall(ngx.on_abort, "x")
            ngx.say(err)
            ngx.say(ngx.on_abort(function() end))
            ngx.say(ngx.on_abort(function() end))
        }
    }
--- request
GET /t
--- response_body_like: ^bad argument #1 to '[^']*' \(Lua function expected\)\n1\nnilduplicate call\n$
