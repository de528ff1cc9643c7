# vim:set ft= ts=4 sw=4 et fdm=marker:
# Moongate only: moongate does not recode response bodies, so what would make nginx
# recode is refused at start instead of being accepted. nginx accepts these (and
# recodes with a charset_map, or logs "no charset_map" per request without one), so
# this file fails against the reference by design.

use Test::Nginx::Socket::Lua 'no_plan';

repeat_each(1);
no_shuffle();

run_tests();

__DATA__

=== TEST 1: charset_map is refused
--- http_config
    charset_map koi8-r utf-8 {
        C0 D18E;
    }
--- config
    location = /t { return 200; }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?"charset_map" directive is not supported: moongate does not recode responses in /\S+/nginx\.conf:\d+}



=== TEST 2: source_charset that differs from charset is refused
--- config
    location = /t {
        charset utf-8;
        source_charset koi8-r;
        return 200;
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?"source_charset" "koi8-r" differs from "charset" "utf-8": moongate does not recode responses in /\S+/nginx\.conf:\d+}



=== TEST 3: ... also when the two are set on different levels
--- config
    source_charset windows-1251;
    location = /t {
        charset utf-8;
        return 200;
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?"source_charset" "windows-1251" differs from "charset" "utf-8": moongate does not recode responses in /\S+/nginx\.conf:\d+}



=== TEST 4: a source_charset with charset off is accepted (nothing to recode)
--- config
    source_charset windows-1251;
    location = /t {
        default_type text/html;
        return 200 "ok\n";
    }
--- request
GET /t
--- response_headers
Content-Type: text/html
--- response_body
ok
