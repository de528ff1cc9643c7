# vim:set ft= ts=4 sw=4 et fdm=marker:
# resolver and resolver_timeout: configuration errors with nginx's wording
# (ngx_resolver_create, ngx_http_core_resolver), and a name with no resolver
# at its level. The resolver's behaviour against name servers is in
# t/deps/076-resolver-more.spec.

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: ipv6= takes on or off
--- config
    resolver 127.0.0.1 ipv6=maybe;
--- must_die
--- error_log eval
qr{\[emerg\] invalid parameter: ipv6=maybe in /\S+/conf/nginx\.conf:\d+}



=== TEST 2: valid= takes a time
--- config
    resolver 127.0.0.1 valid=soon;
--- must_die
--- error_log eval
qr{\[emerg\] invalid parameter: valid=soon in /\S+/conf/nginx\.conf:\d+}



=== TEST 3: two resolver directives at one level
--- config
    location = /t {
        resolver 127.0.0.1;
        resolver 127.0.0.2;
    }
--- must_die
--- error_log eval
qr{\[emerg\] "resolver" directive is duplicate in /\S+/conf/nginx\.conf:\d+}



=== TEST 4: resolver_timeout takes a time
--- config
    resolver_timeout abc;
--- must_die
--- error_log eval
qr{\[emerg\] "resolver_timeout" directive invalid value in /\S+/conf/nginx\.conf:\d+}



=== TEST 5: two resolver_timeout directives at one level
--- config
    location = /t {
        resolver_timeout 1s;
        resolver_timeout 2s;
    }
--- must_die
--- error_log eval
qr{\[emerg\] "resolver_timeout" directive is duplicate in /\S+/conf/nginx\.conf:\d+}



=== TEST 6: a name server given by an unknown name
--- config
    resolver no-such-name-server.invalid;
--- must_die
--- error_log eval
qr{\[emerg\] host not found in resolver "no-such-name-server\.invalid" in /\S+/conf/nginx\.conf:\d+}



=== TEST 7: a resolver in another location does not serve this one
--- config
    location = /other {
        resolver 127.0.0.1:1;
    }
    location = /t {
        content_by_lua_block {
            local sock = ngx.socket.tcp()
            ngx.say(sock:connect("some.name.example", 80))
            local u = ngx.socket.udp()
            ngx.say(u:setpeername("some.name.example", 53))
        }
    }
--- request
GET /t
--- response_body
nilno resolver defined to resolve "some.name.example"
nilno resolver defined to resolve "some.name.example"



=== TEST 8: valid= and several addresses are accepted
--- config
    resolver 127.0.0.1 127.0.0.2:5353 [::1]:53 valid=30s ipv6=off;
    resolver_timeout 5s;
    location = /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body
ok
