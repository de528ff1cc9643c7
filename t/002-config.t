# vim:set ft= ts=4 sw=4 et fdm=marker:
# Configuration errors: the server refuses to start with nginx's [emerg] wording,
# naming the absolute file and line.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: unknown directive
--- config
    location = /t {
        no_such_directive on;
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?unknown directive "no_such_directive" in /\S+/conf/nginx\.conf:\d+}



=== TEST 2: directive not allowed here
--- config
    location = /t {
        listen 8080;
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?"listen" directive is not allowed here in /\S+/conf/nginx\.conf:\d+}



=== TEST 3: invalid number of arguments
--- config
    location = /t {
        root;
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?invalid number of arguments in "root" directive in /\S+/conf/nginx\.conf:\d+}



=== TEST 4: too many arguments
--- config
    location = /t {
        default_type a b;
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?invalid number of arguments in "default_type" directive in /\S+/nginx\.conf:\d+}



=== TEST 5: bad flag value
--- config
    location = /t {
        rewrite_log maybe;
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?invalid value "maybe" in "rewrite_log" directive, it must be "on" or "off" in /\S+/nginx\.conf:\d+}



=== TEST 6: bad size value
--- config
    location = /t {
        client_max_body_size 12q;
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?"client_max_body_size" directive invalid value in /\S+/nginx\.conf:\d+}



=== TEST 7: bad time value
--- config
    location = /t {
        client_body_timeout 5x;
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?"client_body_timeout" directive invalid value in /\S+/nginx\.conf:\d+}



=== TEST 8: unexpected "}"
--- main_config
    }
--- config
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?unexpected "\}" in /\S+/nginx\.conf:\d+}



=== TEST 9: nested location inside an exact location
--- config
    location = /t {
        location /t/x { return 200; }
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?location "/t/x" cannot be inside the exact location "/t" in /\S+/nginx\.conf:\d+}



=== TEST 10: duplicate location
--- config
    location /a {
        return 200;
    }
    location /a {
        return 201;
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?duplicate location "/a" in /\S+/nginx\.conf:\d+}



=== TEST 11: duplicate exact location
--- config
    location = /a {
        return 200;
    }
    location = /a {
        return 201;
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?duplicate location "/a" in /\S+/nginx\.conf:\d+}



=== TEST 12: invalid return code
--- config
    location = /t {
        return abc;
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?invalid return code "abc" in /\S+/nginx\.conf:\d+}



=== TEST 13: missing semicolon before a block end
--- config
    location = /t {
        return 200
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?unexpected "\}" in /\S+/nginx\.conf:\d+}



=== TEST 14: directive without its block
--- config
    location = /t;
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?directive "location" has no opening "\{" in /\S+/nginx\.conf:\d+}



=== TEST 15: unknown variable
--- config
    location = /t {
        return 200 $no_such_var_here;
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?unknown "no_such_var_here" variable}



=== TEST 16: include a missing file
--- config
    include /no/such/file.conf;
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?open\(\) "/no/such/file\.conf" failed \(2: No such file or directory\) in /\S+/nginx\.conf:\d+}



=== TEST 17: include glob that matches nothing is fine
--- config
    include /no/such/dir/*.conf;
    location = /t {
        return 200 "ok";
    }
--- request
GET /t
--- response_body chomp
ok



=== TEST 18: invalid regex in location
--- config
    location ~ "(" {
        return 200;
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?pcre2?_compile\(\) failed: missing (closing parenthesis|\)) in "\(" (at "" )?in /\S+/nginx\.conf:\d+}



=== TEST 19: bad listen
--- config
    listen abc:def;
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?invalid port in "abc:def" of the "listen" directive in /\S+/nginx\.conf:\d+}



=== TEST 20: invalid log level
--- main_config
    error_log logs/x.log chatty;
--- config
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?invalid log level "chatty" in /\S+/nginx\.conf:\d+}



=== TEST 21: rewrite with an invalid flag
--- config
    location = /t {
        rewrite ^ /x bogus;
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?invalid parameter "bogus" in /\S+/nginx\.conf:\d+}



=== TEST 22: if with a bad condition
--- config
    location = /t {
        if ($uri ==) { return 200; }
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?(invalid condition|unexpected) "(\$uri|==\)|\))"}



=== TEST 23: unknown log_format in access_log
--- config
    access_log logs/a.log nosuchformat;
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?unknown log format "nosuchformat" in /\S+/nginx\.conf:\d+}



=== TEST 24: quoted string with a bad follower
--- config
    location = /t {
        return 200 "a"b;
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?unexpected "b" in /\S+/nginx\.conf:\d+}



=== TEST 25: duplicate listen in one server
--- config
    listen $TEST_NGINX_SERVER_PORT;
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?a duplicate listen 0\.0\.0\.0:\d+ in /\S+/nginx\.conf:\d+}



=== TEST 26: location inside a named location
--- config
    location @n {
        location /x { return 200; }
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?location "/x" cannot be inside the named location "\@n" in /\S+/nginx\.conf:\d+}



=== TEST 27: set on a built-in variable
--- config
    location = /t {
        set $uri x;
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?the duplicate "uri" variable in /\S+/nginx\.conf:\d+}



=== TEST 28: unknown variables are reported without a file position
--- config
    location = /t {
        return 200 $nope_nope;
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?unknown "nope_nope" variable$}



=== TEST 29: time units out of order or years in a msec setting
--- config
    client_body_timeout 1y;
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?"client_body_timeout" directive invalid value in /\S+/nginx\.conf:\d+}



=== TEST 30: access_log off takes no more arguments
--- config
    access_log off extra;
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?invalid parameter "extra" in /\S+/nginx\.conf:\d+}



=== TEST 31: try_files with a bad code
--- config
    location /t { try_files $uri =abc; }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?invalid code "=abc" in /\S+/nginx\.conf:\d+}



=== TEST 32: regex error at the end of the pattern
--- config
    location ~ "^(a" { return 200; }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?pcre2?_compile\(\) failed: missing (closing parenthesis|\)) in "\^\(a" in /\S+/nginx\.conf:\d+}



=== TEST 33: error_page with a non-numeric code
--- config
    error_page 404 @n @m;
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?invalid value "\@n" in /\S+/nginx\.conf:\d+}



=== TEST 34: a single-valued directive repeated in one block
--- config
    location = /t {
        root a;
        root b;
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?"root" directive is duplicate in /\S+/nginx\.conf:\d+}



=== TEST 35: alias after root
--- config
    location /t {
        root a;
        alias b;
    }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?"alias" directive is duplicate, "root" directive was specified earlier in /\S+/nginx\.conf:\d+}



=== TEST 36: the same directive at different levels is fine
--- config
    root html;
    location = /t {
        root html;
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body
ok
