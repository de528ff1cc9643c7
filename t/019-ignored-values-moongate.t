# Directives moongate accepts with a warning only in their harmless form: another value
# would change behaviour silently, so it is refused. nginx accepts these values (it
# implements the modules), hence a moongate-only file.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();

run_tests();

__DATA__

=== TEST 1: log_subrequest on is refused
--- config
    log_subrequest on;
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?"log_subrequest on" is not supported by moongate \(only off\) in /\S+/nginx\.conf:\d+}



=== TEST 2: disable_symlinks if_not_owner is refused
--- config
    location /t { disable_symlinks if_not_owner; }
--- must_die
--- error_log eval
qr{\[emerg\] (?:\d+#\d+: )?"disable_symlinks if_not_owner" is not supported by moongate \(only off\)}



=== TEST 3: the harmless values are accepted with a warning
--- config
    log_subrequest off;
    disable_symlinks off;
    client_body_in_file_only off;
    satisfy all;
    location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok
--- error_log eval
qr{\[warn\] (?:\d+#\d+: )?"log_subrequest" directive is ignored by moongate}
