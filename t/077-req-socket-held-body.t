# ngx.req.socket() after the body was held back: moongate stops reading a request body
# nobody asked for once client_body_buffer_size of it arrived (as nginx reads a body only
# when asked); a body socket created later must get the rest.

use Test::Nginx::Socket::Lua;

repeat_each(1);
plan tests => repeat_each() * (blocks() * 3);

run_tests();

__DATA__

=== TEST 1: a 200 KB body read through ngx.req.socket() after a sleep
--- config
    client_body_buffer_size 16k;
    location = /t {
        content_by_lua_block {
            ngx.sleep(0.2)
            local sock = assert(ngx.req.socket())
            sock:settimeout(2000)
            local total = 0
            while true do
                local data, err, partial = sock:receive(8192)
                if not data then
                    if err ~= "closed" then ngx.say("err: ", err) end
                    total = total + #(partial or "")
                    break
                end
                total = total + #data
                if total >= 204800 then break end
            end
            ngx.say("got ", total)
        }
    }
--- request eval
"POST /t\n" . ("a" x 204800)
--- response_body
got 204800
--- no_error_log
[error]



=== TEST 2: the same body read with ngx.req.read_body after a sleep
--- config
    client_body_buffer_size 16k;
    location = /t {
        content_by_lua_block {
            ngx.sleep(0.2)
            ngx.req.read_body()
            local data = ngx.req.get_body_data()
            local file = ngx.req.get_body_file()
            local n = data and #data
            if not n and file then
                local f = assert(io.open(file, "rb"))
                n = #f:read("*a")
                f:close()
            end
            ngx.say("got ", n)
        }
    }
--- request eval
"POST /t\n" . ("b" x 204800)
--- response_body
got 204800
--- no_error_log
[error]
