# vim:set ft= ts=4 sw=4 et fdm=marker:
# hash KEY, hash KEY consistent and ip_hash choose the peer nginx chooses: many
# keys, each answered by a backend that names itself. Plain hash and ip_hash do
# not depend on the ports, so their expected letters are fixed (taken from
# nginx); consistent hashing places peers by "host:port", so its check is a Lua
# model of nginx's ring (ngx_http_upstream_init_chash) run beside the proxy.

use Test::Nginx::Socket::Lua;

repeat_each(1);
log_level('warn');

plan tests => repeat_each() * (blocks() * 3);

our $HttpConfig = qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        location / { return 200 "a"; }
    }
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_2;
        location / { return 200 "b"; }
    }
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
        location / { return 200 "c"; }
    }
};

our $Loop = q{
    location /t {
        content_by_lua_block {
            local out = {}
            for i = 1, 240 do
                local res = ngx.location.capture("/h",
                                                 { args = { k = "key" .. i } })
                out[#out + 1] = res.body
                if i % 60 == 0 then
                    out[#out + 1] = "\n"
                end
            end
            ngx.print(table.concat(out))
        }
    }
};

our $Ring = q{
    location /t {
        content_by_lua_block {
            local crc32 = ngx.crc32_long
            local floor = math.floor
            local function le32(v)
                return string.char(v % 256, floor(v / 256) % 256,
                                   floor(v / 65536) % 256,
                                   floor(v / 16777216) % 256)
            end
            -- the servers as configured, their weights, and who answers
            local servers = ngx.ctx.servers
            local pts = {}
            for idx, s in ipairs(servers) do
                local host, port = s.name:match("^(.*):(%d+)$")
                local prev = 0
                for _ = 1, 160 * s.weight do
                    local h = crc32(host .. "\0" .. port .. le32(prev))
                    pts[#pts + 1] = { h = h, s = s, o = #pts }
                    prev = h
                end
            end
            table.sort(pts, function(x, y)
                if x.h ~= y.h then return x.h < y.h end
                return x.o < y.o
            end)
            local ring = {}
            for _, p in ipairs(pts) do
                if #ring == 0 or ring[#ring].h ~= p.h then
                    ring[#ring + 1] = p
                end
            end
            local function model(key)
                local h = crc32(key)
                local i = 1
                while i <= #ring and ring[i].h < h do i = i + 1 end
                for _ = 1, #ring do
                    if i > #ring then i = 1 end
                    if not ring[i].s.down then return ring[i].s.answer end
                    i = i + 1
                end
            end
            local bad, seen = 0, {}
            for i = 1, 300 do
                local key = "key" .. i
                local res = ngx.location.capture("/h", { args = { k = key } })
                seen[res.body] = (seen[res.body] or 0) + 1
                if res.body ~= model(key) then
                    bad = bad + 1
                    ngx.log(ngx.ERR, "key ", key, " went to ", res.body,
                            ", nginx's ring says ", model(key))
                end
            end
            local used = 0
            for _ in pairs(seen) do used = used + 1 end
            ngx.say("mismatches: ", bad, ", backends used: ", used)
        }
    }
};

our $IpLoop = q{
    location /t {
        content_by_lua_block {
            local out = {}
            for i = 1, 240 do
                local res = ngx.location.capture("/ip",
                    { args = { x = i % 7, y = (i * 37) % 256 } })
                out[#out + 1] = res.body
                if i % 60 == 0 then
                    out[#out + 1] = "\n"
                end
            end
            ngx.print(table.concat(out))
        }
    }
    location /ip {
        proxy_bind 127.$arg_x.$arg_y.1;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_4/;
    }
};

our $IpFront = qq{
    server {
        listen 127.0.0.1:\$TEST_NGINX_RAND_PORT_4;
        location / { proxy_pass http://iph; }
    }
};

run_tests();

__DATA__

=== TEST 1: hash KEY over equal peers
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        hash \$arg_k;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_2;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
    }
}
--- config eval
$::Loop . q{
    location /h { proxy_pass http://up; }
}
--- request
GET /t
--- response_body
babccbaabbbbcbababbbacbbcaacaccacbaccbbacbbbaaaababcccaaabbb
caaccbcbabaccabcabcbcbababaccacabacbbbbbbbbcccabaabbacccbacb
cbcabacccabccaabbaaccbbacacaaabcbbaccaaabcabccbcabcbbccccbcc
cbabccabbacacaaabbaabbacaaabbaaaaaccccbbbacbbaaaccbcbabcbcca
--- no_error_log
[error]



=== TEST 2: hash KEY with weights
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        hash \$arg_k;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1 weight=3;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_2;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3 weight=2;
    }
}
--- config eval
$::Loop . q{
    location /h { proxy_pass http://up; }
}
--- request
GET /t
--- response_body
cbcaccbaacaccaaaaacaaccccababacacaacaacbaaccbabaaaaaccabaaca
abaaccccbcbacbccaaacccbaaaacababcaccacacacacacaaabcaaacaaacc
cccbcbacabccaabcaabaccababababccccbacabaaabaacccaaaacacacccc
aaaccabcaacacbabcaaaacbcabaacbabaacacaacaacacbabaccccaaaaaca
--- no_error_log
[error]



=== TEST 3: hash KEY rehashes past a down peer
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        hash \$arg_k;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_2 down;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3 weight=2;
    }
}
--- config eval
$::Loop . q{
    location /h { proxy_pass http://up; }
}
--- request
GET /t
--- response_body
accccacacaccaaccacaaccaaccacacaaccaacaccaaccaacacaccaaccacaa
ccaaccacacaaccaacaccaaccaacacaccaaccacacaaccaacacaccaaccacaa
ccaaccacacaaccaacaccaaccaacacaccaaccacaaccaaccacacaaccaacacc
aaccaacacaccaaccacaaccaaccacacaaccaacaccaaccaacacaccaaccacaa
--- no_error_log
[error]



=== TEST 4: hash KEY rehashes past a peer that refuses connections
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        hash \$arg_k;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_5;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
    }
}
--- config eval
$::Loop . q{
    location /h { proxy_pass http://up; }
}
--- request
GET /t
--- response_body
caaccaaaaaacccaaaacaaccccaacaccaccacccaacaccaaaaaaacccaaaaca
caacccccaaaccaacaccccaacacaccacacacaaaaaacacccaaaacaaccccacc
cccaaacccacccaaacaacccaacacaaacccaaccaaaacaaccacaacacccccacc
caacccaaaacacaaacaaaacacaaaacaaaaaccccccaacccaaaccaccaccccca
--- error_log
connect() failed (111: Connection refused) while connecting to upstream



=== TEST 5: an empty hash key falls back to round robin
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        hash \$arg_k;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_2 weight=2;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
    }
    upstream ch {
        hash \$arg_k consistent;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_2;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
    }
}
--- config
    location /t {
        content_by_lua_block {
            local out = {}
            for _, u in ipairs{ "/h", "/c" } do
                for i = 1, 8 do
                    local res = ngx.location.capture(u, { args = { k = "" } })
                    out[#out + 1] = res.body
                end
                out[#out + 1] = "\n"
            end
            ngx.print(table.concat(out))
        }
    }
    location /h { proxy_pass http://up; }
    location /c { proxy_pass http://ch; }
--- request
GET /t
--- response_body
bacbbacb
abcabcab
--- no_error_log
[error]



=== TEST 6: hash KEY consistent lands where nginx's ring says
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        hash \$arg_k consistent;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_2;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
    }
}
--- config eval
q{
    rewrite_by_lua_block {
        ngx.ctx.servers = {
            { name = "127.0.0.1:$TEST_NGINX_RAND_PORT_1", weight = 1,
              answer = "a" },
            { name = "127.0.0.1:$TEST_NGINX_RAND_PORT_2", weight = 1,
              answer = "b" },
            { name = "127.0.0.1:$TEST_NGINX_RAND_PORT_3", weight = 1,
              answer = "c" },
        }
    }
    location /h { proxy_pass http://up; }
} . $::Ring
--- request
GET /t
--- response_body
mismatches: 0, backends used: 3
--- no_error_log
[error]



=== TEST 7: hash KEY consistent with weights and a down peer
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        hash \$arg_k consistent;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1 weight=2;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_2 down;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3 weight=3;
    }
}
--- config eval
q{
    rewrite_by_lua_block {
        ngx.ctx.servers = {
            { name = "127.0.0.1:$TEST_NGINX_RAND_PORT_1", weight = 2,
              answer = "a" },
            { name = "127.0.0.1:$TEST_NGINX_RAND_PORT_2", weight = 1,
              answer = "b", down = true },
            { name = "127.0.0.1:$TEST_NGINX_RAND_PORT_3", weight = 3,
              answer = "c" },
        }
    }
    location /h { proxy_pass http://up; }
} . $::Ring
--- request
GET /t
--- response_body
mismatches: 0, backends used: 2
--- no_error_log
[error]



=== TEST 8: ip_hash over client addresses (the first three octets)
--- http_config eval
$::HttpConfig . $::IpFront . qq{
    upstream iph {
        ip_hash;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_2;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
    }
}
--- config eval
$::IpLoop
--- request
GET /t
--- response_body
cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc
cccccccccccccccccccccccccccccbccccccbccccccbccccccbccccccbcc
ccccbccccccbccccccbccccccbccccccbccccccbccccccbcccccbbcccccb
bcccccbbcccccbbcccccbbcccccbbcccccbbcccccbbcccccbbcccccbbccc
--- no_error_log
[error]



=== TEST 9: ip_hash with weights and a down peer
--- http_config eval
$::HttpConfig . $::IpFront . qq{
    upstream iph {
        ip_hash;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1 weight=2;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_2 down;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3 weight=3;
    }
}
--- config eval
$::IpLoop
--- request
GET /t
--- response_body
accaaccccccccaccaacccccccccacccacccccccccaccaaccccccccccccac
caccccccccccaccacccccccccaacccccccccaccaccacccccccaccaccaccc
ccccacaaccacccccccacacccacccccccaaaccaacccccccaaacaaccccccca
aacccacccccccaaaccaacccccccaaccaaccccccccaacccaccccccccaacca
--- no_error_log
[error]



=== TEST 10: hash with a bad second parameter
--- http_config
    upstream up {
        hash $arg_k inconsistent;
        server 127.0.0.1:1234;
    }
--- config
    location /t { proxy_pass http://up; }
--- request
GET /t
--- must_die
--- error_log
invalid parameter "inconsistent"



=== TEST 11: ip_hash takes no arguments
--- http_config
    upstream up {
        ip_hash on;
        server 127.0.0.1:1234;
    }
--- config
    location /t { proxy_pass http://up; }
--- request
GET /t
--- must_die
--- error_log
invalid number of arguments in "ip_hash" directive



=== TEST 12: proxy_bind with a value that is not an address is logged and ignored
--- http_config eval
$::HttpConfig
--- config
    location /t {
        set $local "not-an-address";
        proxy_bind $local;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- request
GET /t
--- response_body chomp
a
--- error_log
invalid local address "not-an-address"



=== TEST 13: proxy_bind to an address this host does not have fails with 500
--- http_config eval
$::HttpConfig
--- config
    location /t {
        proxy_bind 192.0.2.1;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- request
GET /t
--- error_code: 500
--- error_log
bind(192.0.2.1) failed (99: Cannot assign requested address) while connecting to upstream



=== TEST 14: hash and ip_hash do not take backup servers
--- http_config
    upstream up {
        ip_hash;
        server 127.0.0.1:1234;
        server 127.0.0.1:1235 backup;
    }
--- config
    location /t { proxy_pass http://up; }
--- request
GET /t
--- must_die
--- error_log
balancing method does not support parameter "backup"



=== TEST 15: a second balancing method wins, with a warning
--- http_config eval
$::HttpConfig . qq{
    upstream up {
        ip_hash;
        hash \$arg_k;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_1;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_2;
        server 127.0.0.1:\$TEST_NGINX_RAND_PORT_3;
    }
}
--- config eval
$::Loop . q{
    location /h { proxy_pass http://up; }
}
--- request
GET /t
--- response_body
babccbaabbbbcbababbbacbbcaacaccacbaccbbacbbbaaaababcccaaabbb
caaccbcbabaccabcabcbcbababaccacabacbbbbbbbbcccabaabbacccbacb
cbcabacccabccaabbaaccbbacacaaabcbbaccaaabcabccbcabcbbccccbcc
cbabccabbacacaaabbaabbacaaabbaaaaaccccbbbacbbaaaccbcbabcbcca
--- error_log
load balancing method redefined
