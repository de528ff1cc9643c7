# vim:set ft= ts=4 sw=4 et fdm=marker:
# TLS client session resumption: tcpsock:sslhandshake(reused_session) and
# proxy_ssl_session_reuse. The TLS servers report what they saw with
# $ssl_session_reused ("r" resumed, "." a full handshake).

use Test::Nginx::Socket::Lua;

repeat_each(1);
log_level('info');

plan tests => repeat_each() * (blocks() * 3);

our $HttpConfig = qq{
    lua_ssl_trusted_certificate ../../cert/ca.crt;
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_1 ssl;
        server_name test.com;
        ssl_certificate ../../cert/server.crt;
        ssl_certificate_key ../../cert/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / {
            return 200 "reused=\$ssl_session_reused \$ssl_protocol\\n";
        }
    }
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_2 ssl;
        server_name other.com;
        ssl_certificate ../../cert/other.crt;
        ssl_certificate_key ../../cert/other.key;
        location / {
            return 200 "other reused=\$ssl_session_reused\\n";
        }
    }
} . q{
    init_by_lua_block {
        -- One TLS request on a new connection: the session sslhandshake
        -- returned (or nil, err) and what the server said.
        package.loaded.fetch = function(port, sess, name, verify)
            local sock = ngx.socket.tcp()
            sock:settimeout(3000)
            assert(sock:connect("127.0.0.1", port))
            local s, err = sock:sslhandshake(sess, name, verify)
            if not s then
                sock:close()
                return nil, err
            end
            sock:send("GET / HTTP/1.1\r\nHost: " .. (name or "test.com")
                      .. "\r\nConnection: close\r\n\r\n")
            local body = sock:receive("*a")
            sock:close()
            return s, body:match("[%w ]*reused=[^\n]*")
        end
    }
};

run_tests();

__DATA__

=== TEST 1: a session given back resumes (TLS 1.2), and the resumed handshake returns a session too
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local fetch = require "fetch"
            local s1, r1 = fetch($TEST_NGINX_RAND_PORT_1, nil, "test.com", true)
            ngx.say("1: ", type(s1), " ", r1)
            local s2, r2 = fetch($TEST_NGINX_RAND_PORT_1, s1, "test.com", true)
            ngx.say("2: ", type(s2), " ", r2)
            local s3, r3 = fetch($TEST_NGINX_RAND_PORT_1, s2, "test.com", true)
            ngx.say("3: ", type(s3), " ", r3)
        }
    }
--- request
GET /t
--- response_body
1: cdata reused=. TLSv1.2
2: cdata reused=r TLSv1.2
3: cdata reused=r TLSv1.2
--- no_error_log
[error]



=== TEST 2: reused_session false returns true and nothing to resume with; nil and junk values make a full handshake
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local fetch = require "fetch"
            ngx.say("false: ", fetch($TEST_NGINX_RAND_PORT_1, false, "test.com"))
            local s, r = fetch($TEST_NGINX_RAND_PORT_1, nil, "test.com")
            ngx.say("nil: ", type(s), " ", r)
            s, r = fetch($TEST_NGINX_RAND_PORT_1, "junk", "test.com")
            ngx.say("string: ", type(s), " ", r)
            s, r = fetch($TEST_NGINX_RAND_PORT_1, {}, "test.com")
            ngx.say("table: ", type(s), " ", r)
        }
    }
--- request
GET /t
--- response_body
false: truereused=. TLSv1.2
nil: cdata reused=. TLSv1.2
string: cdata reused=. TLSv1.2
table: cdata reused=. TLSv1.2
--- no_error_log
[error]



=== TEST 3: a session offered to another server is not resumed there; the handshake still succeeds
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local fetch = require "fetch"
            local s1, r1 = fetch($TEST_NGINX_RAND_PORT_1, nil, "test.com", true)
            ngx.say("1: ", r1)
            local s2, r2 = fetch($TEST_NGINX_RAND_PORT_2, s1, "other.com", true)
            ngx.say("2: ", type(s2), " ", r2)
            local s3, r3 = fetch($TEST_NGINX_RAND_PORT_2, s2, "other.com", true)
            ngx.say("3: ", type(s3), " ", r3)
        }
    }
--- request
GET /t
--- response_body
1: reused=. TLSv1.2
2: cdata other reused=.
3: cdata other reused=r
--- no_error_log
[error]



=== TEST 4: a resumed session is still verified against the name asked for
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local fetch = require "fetch"
            local s1 = fetch($TEST_NGINX_RAND_PORT_1, nil, "test.com", true)
            ngx.say("2: ", fetch($TEST_NGINX_RAND_PORT_1, s1, "www.example.com", true))
        }
    }
--- request
GET /t
--- response_body
2: nilcertificate host mismatch
--- error_log
lua ssl certificate does not match host "www.example.com"



=== TEST 5: sessions are garbage collected
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local fetch = require "fetch"
            local s = fetch($TEST_NGINX_RAND_PORT_1, nil, "test.com")
            for i = 1, 20 do
                local s2, r = fetch($TEST_NGINX_RAND_PORT_1, s, "test.com")
                if r ~= "reused=r TLSv1.2" then
                    ngx.say(i, ": ", r)
                end
                s = s2
                collectgarbage()
            end
            ngx.say("done")
        }
    }
--- request
GET /t
--- response_body
done
--- no_error_log
[error]



=== TEST 6: send_status_req asks for OCSP stapling (the server has none to give)
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            sock:settimeout(3000)
            assert(sock:connect("127.0.0.1", $TEST_NGINX_RAND_PORT_1))
            local s, err = sock:sslhandshake(nil, "test.com", true, true)
            ngx.say("handshake: ", type(s), " ", err)
            sock:close()
        }
    }
--- request
GET /t
--- response_body
handshake: cdata nil
--- no_error_log
[error]



=== TEST 7: proxy_ssl_session_reuse (on by default): the second upstream connection resumes
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            for i = 1, 3 do
                ngx.print(ngx.location.capture("/up").body)
            end
        }
    }
    location = /up {
        proxy_ssl_server_name on;
        proxy_ssl_name test.com;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate ../../cert/ca.crt;
        proxy_pass https://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- request
GET /t
--- response_body
reused=. TLSv1.2
reused=r TLSv1.2
reused=r TLSv1.2
--- no_error_log
[error]



=== TEST 8: proxy_ssl_session_reuse off: every upstream connection makes a full handshake
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            for i = 1, 3 do
                ngx.print(ngx.location.capture("/up").body)
            end
        }
    }
    location = /up {
        proxy_ssl_session_reuse off;
        proxy_pass https://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- request
GET /t
--- response_body
reused=. TLSv1.2
reused=. TLSv1.2
reused=. TLSv1.2
--- no_error_log
[error]



=== TEST 9: proxy_ssl_session_reuse with TLSv1.3 (the session comes in a ticket after the handshake)
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            for i = 1, 3 do
                ngx.print(ngx.location.capture("/up").body)
            end
        }
    }
    location = /up {
        proxy_ssl_protocols TLSv1.3;
        proxy_pass https://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- request
GET /t
--- response_body
reused=. TLSv1.3
reused=r TLSv1.3
reused=r TLSv1.3
--- no_error_log
[error]



=== TEST 10: lua_ssl_protocols TLSv1.3: as in ngx_lua 0.10.23 the session is taken when the handshake ends, before the ticket arrives, so it does not resume
--- http_config eval: "lua_ssl_protocols TLSv1.3;\n" . $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            local fetch = require "fetch"
            local s1, r1 = fetch($TEST_NGINX_RAND_PORT_1, nil, "test.com", true)
            ngx.say("1: ", type(s1), " ", r1)
            local s2, r2 = fetch($TEST_NGINX_RAND_PORT_1, s1, "test.com", true)
            ngx.say("2: ", type(s2), " ", r2)
        }
    }
--- request
GET /t
--- response_body
1: cdata reused=. TLSv1.3
2: cdata reused=. TLSv1.3
--- no_error_log
[error]



=== TEST 11: peers set by balancer_by_lua: ngx_lua 0.10.23 keeps no session for them
--- http_config eval
$::HttpConfig . qq{
    upstream lua_tls {
        server 0.0.0.1;
        balancer_by_lua_block {
            assert(require("ngx.balancer").set_current_peer("127.0.0.1",
                                                            \$TEST_NGINX_RAND_PORT_1))
        }
    }
}
--- config
    location = /t {
        content_by_lua_block {
            for i = 1, 3 do
                ngx.print(ngx.location.capture("/up").body)
            end
        }
    }
    location = /up {
        proxy_pass https://lua_tls/;
    }
--- request
GET /t
--- response_body
reused=. TLSv1.2
reused=. TLSv1.2
reused=. TLSv1.2
--- no_error_log
[error]



=== TEST 12: proxy_pass with variables: nginx keeps the session of such a peer only for the request
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        content_by_lua_block {
            for i = 1, 3 do
                ngx.print(ngx.location.capture("/up").body)
            end
        }
    }
    location = /up {
        set $backend 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        proxy_pass https://$backend/;
    }
--- request
GET /t
--- response_body
reused=. TLSv1.2
reused=. TLSv1.2
reused=. TLSv1.2
--- no_error_log
[error]



=== TEST 13: proxy_pass with a variable naming an upstream block: its peers keep their sessions
--- http_config eval
$::HttpConfig . qq{
    upstream tls_block {
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
    }
}
--- config
    location = /t {
        content_by_lua_block {
            for i = 1, 3 do
                ngx.print(ngx.location.capture("/up").body)
            end
        }
    }
    location = /up {
        set $backend tls_block;
        proxy_pass https://$backend/;
    }
--- request
GET /t
--- response_body
reused=. TLSv1.2
reused=r TLSv1.2
reused=r TLSv1.2
--- no_error_log
[error]
