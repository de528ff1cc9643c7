# vim:set ft= ts=4 sw=4 et fdm=marker:
# proxy_buffers, proxy_busy_buffers_size, proxy_max_temp_file_size,
# proxy_temp_file_write_size and proxy_temp_path: a buffered response goes
# through whole whatever the buffers, the temp directory is made at start,
# and nginx's checks of the merged values refuse bad combinations.

use Test::Nginx::Socket::Lua;

repeat_each(1);
log_level('warn');
no_long_string();

plan tests => repeat_each() * (blocks() * 2);

our $HttpConfig = qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        location / {
            content_by_lua_block {
                local piece = string.rep("a", 65536)
                ngx.header.content_length = 64 * 65536
                for i = 1, 64 do
                    ngx.print(piece)
                    ngx.flush(true)
                end
            }
        }
    }
};

run_tests();

__DATA__

=== TEST 1: a 4 MB response through small buffers and a small temp file
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_buffers 4 4k;
        proxy_busy_buffers_size 8k;
        proxy_temp_file_write_size 8k;
        proxy_max_temp_file_size 64k;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /t
--- response_body eval
"a" x (64 * 65536)



=== TEST 2: proxy_max_temp_file_size 0: no temp file, the response still goes through
--- http_config eval: $::HttpConfig
--- config
    location /t {
        proxy_max_temp_file_size 0;
        proxy_buffers 2 8k;
        proxy_busy_buffers_size 8k;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request
GET /t
--- response_body eval
"a" x (64 * 65536)



=== TEST 3: proxy_temp_path: the directory exists once the server runs
--- config
    location /t {
        proxy_temp_path extra_temp;
        content_by_lua_block {
            local p = ngx.config.prefix() .. "extra_temp"
            ngx.say(os.rename(p, p))
        }
    }
--- request
GET /t
--- response_body
true



=== TEST 4: busy buffers as large as all buffers
--- config
    location /t {
        proxy_buffers 4 4k;
        proxy_busy_buffers_size 16k;
        proxy_pass http://127.0.0.1:1;
    }
--- must_die
--- error_log
"proxy_busy_buffers_size" must be less than the size of all "proxy_buffers" minus one buffer



=== TEST 5: a single buffer
--- config
    location /t {
        proxy_buffers 1 8k;
        proxy_pass http://127.0.0.1:1;
    }
--- must_die
--- error_log
there must be at least 2 "proxy_buffers"



=== TEST 6: busy buffers smaller than one buffer
--- config
    location /t {
        proxy_buffers 8 8k;
        proxy_busy_buffers_size 2k;
        proxy_pass http://127.0.0.1:1;
    }
--- must_die
--- error_log
"proxy_busy_buffers_size" must be equal to or greater than the maximum of the value of "proxy_buffer_size" and one of the "proxy_buffers"



=== TEST 7: a temp file limit smaller than a buffer
--- config
    location /t {
        proxy_max_temp_file_size 1k;
        proxy_pass http://127.0.0.1:1;
    }
--- must_die
--- error_log
"proxy_max_temp_file_size" must be equal to zero to disable temporary files usage or must be equal to or greater than the maximum of the value of "proxy_buffer_size" and one of the "proxy_buffers"



=== TEST 8: a temp file write size smaller than a buffer
--- config
    location /t {
        proxy_temp_file_write_size 1k;
        proxy_pass http://127.0.0.1:1;
    }
--- must_die
--- error_log
"proxy_temp_file_write_size" must be equal to or greater than the maximum of the value of "proxy_buffer_size" and one of the "proxy_buffers"



=== TEST 9: zero buffers
--- config
    location /t {
        proxy_buffers 0 4k;
    }
--- must_die
--- error_log
"proxy_buffers" directive invalid value



=== TEST 10: a temp path that cannot be made stops the start
--- config
    location /t {
        proxy_temp_path /dev/null/x;
    }
--- must_die
--- error_log
mkdir() "/dev/null/x" failed (20: Not a directory)
