# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.re end to end: a few cases from lua-nginx-module t/034-match.t,
# t/035-gmatch.t, t/036-sub.t, t/037-gsub.t and t/120-re-find.t.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: match
--- config
    location /re {
        content_by_lua_block {
            local m = ngx.re.match("hello, 1234", "([0-9])[0-9]+")
            ngx.say(m[0], " ", m[1])
        }
    }
--- request
GET /re
--- response_body
1234 1



=== TEST 2: named captures and jo options
--- config
    location /re {
        content_by_lua_block {
            local m = ngx.re.match(ngx.var.arg_s, [[(?<k>\w+)=(?<v>\w+)]], "jo")
            ngx.say(m.k, " ", m.v, " ", m[1])
        }
    }
--- request
GET /re?s=foo=bar
--- response_body
foo bar foo



=== TEST 3: gmatch
--- config
    location /re {
        content_by_lua_block {
            for m in ngx.re.gmatch("hello, world", "[a-z]+") do
                ngx.say(m[0])
            end
        }
    }
--- request
GET /re
--- response_body
hello
world



=== TEST 4: sub and gsub
--- config
    location /re {
        content_by_lua_block {
            ngx.say(ngx.re.sub("hello, world", "o", "0"))
            ngx.say(ngx.re.gsub("hello, world", "o", "0"))
            ngx.say(ngx.re.gsub("a1b2", "[0-9]", function(m) return "<" .. m[0] .. ">" end))
        }
    }
--- request
GET /re
--- response_body
hell0, world1
hell0, w0rld2
a<1>b<2>2



=== TEST 5: find
--- config
    location /re {
        content_by_lua_block {
            ngx.say(ngx.re.find("hello, 1234", "[0-9]+"))
            ngx.say(ngx.re.find("hello", "[0-9]+"))
        }
    }
--- request
GET /re
--- response_body
811
nil



=== TEST 6: bad regex
--- config
    location /re {
        content_by_lua_block {
            local m, err = ngx.re.match("abc", "(abc")
            ngx.say(m, " ", err)
        }
    }
--- request
GET /re
--- response_body_like
^nil pcre2?_compile\(\) failed: missing (\)|closing parenthesis) in "\(abc"$



=== TEST 7: case insensitive with ngx.var
--- config
    location /re {
        content_by_lua_block {
            local m = ngx.re.match(ngx.var.uri, "^/RE$", "i")
            ngx.say(m and m[0])
        }
    }
--- request
GET /re
--- response_body
/re
