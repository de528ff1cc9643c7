# vim:set ft= ts=4 sw=4 et fdm=marker:
# root, alias and index with variables, index edge cases.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_long_string();

run_tests();

__DATA__

=== TEST 1: root with a variable
--- user_files
>>> sites/localhost/a.txt
per host
--- config
    location /a { root html/sites/$host; }
--- request
GET /a.txt
--- response_body
per host



=== TEST 2: index with an absolute fallback
--- user_files
>>> fallback.html
fallback
>>> x/other.txt
x
--- config
    location /x/ { root html; index nope.html /fallback.html; }
--- request
GET /x/
--- response_body
fallback



=== TEST 3: index fallback is not tried when the directory is missing
--- user_files
>>> fallback.html
fallback
--- config
    location /x/ { root html; index nope.html /fallback.html; }
--- request
GET /x/
--- error_code: 404
--- error_log eval
qr{"/\S+/html/x/nope\.html" is not found \(2: No such file or directory\)}



=== TEST 4: index changes $uri for the next location
--- user_files
>>> d/index.html
idx
--- config
    location = /d/index.html { return 200 "uri=$uri\n"; }
--- request
GET /d/
--- response_body
uri=/d/index.html



=== TEST 5: directory under an alias redirects with the request uri
--- user_files
>>> real/sub/index.html
sub
--- config
    port_in_redirect off;
    location /v/ { alias html/real/; }
--- request
GET /v/sub
--- error_code: 301
--- response_headers
Location: http://localhost/v/sub/



=== TEST 6: a missing index file is 404 with nginx's log line
--- user_files
>>> empty/.keep
x
--- config
    location /empty/ { root html; index missing.html; }
--- request
GET /empty/
--- error_code: 403
--- error_log
directory index of



=== TEST 7: index in a missing directory
--- config
    location /nodir/ { root html; }
--- request
GET /nodir/
--- error_code: 404
--- error_log eval
qr{"/\S+/html/nodir/index\.html" is not found \(2: No such file or directory\)}



=== TEST 8: $request_filename under alias
--- config
    location /al/ { alias /tmp/somewhere/; return 200 "$request_filename $document_root\n"; }
--- request
GET /al/x.txt
--- response_body
/tmp/somewhere/x.txt /tmp/somewhere/
