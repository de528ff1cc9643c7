-- Builds the global `ngx` table: constants first, then every API module
-- (the resty.core.* files install their functions into `ngx`).

local ngx = ngx

ngx.OK = 0
ngx.ERROR = -1
ngx.AGAIN = -2
ngx.DONE = -4
ngx.DECLINED = -5

ngx.STDERR = 0
ngx.EMERG = 1
ngx.ALERT = 2
ngx.CRIT = 3
ngx.ERR = 4
ngx.WARN = 5
ngx.NOTICE = 6
ngx.INFO = 7
ngx.DEBUG = 8

ngx.HTTP_GET = 2
ngx.HTTP_HEAD = 4
ngx.HTTP_POST = 8
ngx.HTTP_PUT = 16
ngx.HTTP_DELETE = 32
ngx.HTTP_MKCOL = 64
ngx.HTTP_COPY = 128
ngx.HTTP_MOVE = 256
ngx.HTTP_OPTIONS = 512
ngx.HTTP_PROPFIND = 1024
ngx.HTTP_PROPPATCH = 2048
ngx.HTTP_LOCK = 4096
ngx.HTTP_UNLOCK = 8192
ngx.HTTP_PATCH = 16384
ngx.HTTP_TRACE = 32768

ngx.HTTP_CONTINUE = 100
ngx.HTTP_SWITCHING_PROTOCOLS = 101
ngx.HTTP_OK = 200
ngx.HTTP_CREATED = 201
ngx.HTTP_ACCEPTED = 202
ngx.HTTP_NO_CONTENT = 204
ngx.HTTP_PARTIAL_CONTENT = 206
ngx.HTTP_SPECIAL_RESPONSE = 300
ngx.HTTP_MOVED_PERMANENTLY = 301
ngx.HTTP_MOVED_TEMPORARILY = 302
ngx.HTTP_SEE_OTHER = 303
ngx.HTTP_NOT_MODIFIED = 304
ngx.HTTP_TEMPORARY_REDIRECT = 307
ngx.HTTP_PERMANENT_REDIRECT = 308
ngx.HTTP_BAD_REQUEST = 400
ngx.HTTP_UNAUTHORIZED = 401
ngx.HTTP_PAYMENT_REQUIRED = 402
ngx.HTTP_FORBIDDEN = 403
ngx.HTTP_NOT_FOUND = 404
ngx.HTTP_NOT_ALLOWED = 405
ngx.HTTP_NOT_ACCEPTABLE = 406
ngx.HTTP_REQUEST_TIMEOUT = 408
ngx.HTTP_CONFLICT = 409
ngx.HTTP_GONE = 410
ngx.HTTP_UPGRADE_REQUIRED = 426
ngx.HTTP_TOO_MANY_REQUESTS = 429
ngx.HTTP_CLOSE = 444
ngx.HTTP_ILLEGAL = 451
ngx.HTTP_INTERNAL_SERVER_ERROR = 500
ngx.HTTP_METHOD_NOT_IMPLEMENTED = 501
ngx.HTTP_BAD_GATEWAY = 502
ngx.HTTP_SERVICE_UNAVAILABLE = 503
ngx.HTTP_GATEWAY_TIMEOUT = 504
ngx.HTTP_VERSION_NOT_SUPPORTED = 505
ngx.HTTP_INSUFFICIENT_STORAGE = 507

ngx.null = ngx.null or (function()
    local ffi = require "ffi"
    return ffi.cast("void *", 0)
end)()

ngx.req = ngx.req or {}
ngx.resp = ngx.resp or {}
ngx.location = ngx.location or {}
ngx.socket = ngx.socket or {}
ngx.thread = ngx.thread or {}
ngx.timer = ngx.timer or {}
ngx.worker = ngx.worker or {}
ngx.config = ngx.config or {}
ngx.re = ngx.re or {}
ngx.shared = ngx.shared or {}

require "resty.core.tablex"
require "resty.core.misc"
require "resty.core.output"
require "resty.core.var"
require "resty.core.ctx"
require "resty.core.response"
require "resty.core.request"
require "resty.core.base64"
require "resty.core.uri"
require "resty.core.hash"
require "resty.core.time"
require "resty.core.args"
require "resty.core.regex"
require "resty.core.shdict"
require "resty.core.subrequest"
require "resty.core.timer"
require "resty.core.thread"
require "resty.core.socket_tcp"
require "resty.core.socket_udp"

return ngx
