import MoongateConfig
import MoongateCore
import NIOCore

/// One request: nginx's `ngx_http_request_t`. Lives on the worker's event loop thread.
public final class HTTPRequest {
    /// The connection it came on (strong: a request may outlive its channel, e.g. an
    /// aborted request whose Lua thread still waits; the connection lets go of its
    /// current request when the channel is removed).
    public let connection: HTTPConnection
    /// The head as received.
    public var head: RequestHead
    /// Current method (`ngx.req.set_method` may change it): the head's until changed
    /// (no copy of it kept per request).
    public var method: String {
        get { methodChanged ?? head.method }
        set { methodChanged = newValue }
    }
    private var methodChanged: String?
    /// Current decoded, normalized URI path (`$uri`).
    public var uri: String
    /// Current arguments without `?` (`$args`), nil if none.
    public var args: String?
    /// The server block chosen for this request.
    public var server: ServerConfig
    /// The location chosen (or the server level before find-config).
    public var loc: LocationConfig
    /// State most requests never set (captures, user variables, subrequests, gzip,
    /// charsets, `$request_id`): one object made when first needed, so that a plain
    /// request initializes and releases one reference for all of it instead of nine.
    final class Rare {
        var captures: [String?] = []
        var namedCaptures = [String: String]()
        var variableStore: VariableStore?
        var requestID: String?
        var gzip: GzipStream?
        var contentTypeCharset: String?
        var responseCharset: String?
        var subrequestSink: SubrequestSink?
        var parent: HTTPRequest?
    }
    private var rareIfMade: Rare?
    private var rare: Rare {
        if let r = rareIfMade { return r }
        let r = Rare()
        rareIfMade = r
        return r
    }
    /// Regex captures of the last successful match (location, rewrite, if).
    public var captures: [String?] {
        get { rareIfMade?.captures ?? [] }
        set {
            if newValue.isEmpty && rareIfMade == nil { return }
            rare.captures = newValue
        }
    }
    public var namedCaptures: [String: String] {
        get { rareIfMade?.namedCaptures ?? [:] }
        set {
            if newValue.isEmpty && rareIfMade == nil { return }
            rare.namedCaptures = newValue
        }
    }
    /// Where the values of `set` and other user variables live: a subrequest made with
    /// `share_all_vars` uses its parent's store (nginx shares `r->variables`).
    public var variableStore: VariableStore {
        get {
            if let s = variableStoreIfCreated { return s }
            let s = VariableStore()
            variableStoreIfCreated = s
            return s
        }
        set { rare.variableStore = newValue }
    }
    /// The store once something was set (most requests set no variable: no object made).
    public private(set) var variableStoreIfCreated: VariableStore? {
        get { rareIfMade?.variableStore }
        set { rare.variableStore = newValue }
    }
    /// Values of `set` and other user variables.
    public var userVars: [String: String] {
        get { variableStoreIfCreated?.values ?? [:] }
        set { variableStore.values = newValue }
        _modify { yield &variableStore.values }
    }
    /// Response status (0 until set).
    public var status = 0
    /// Status line text override (`ngx.status` keeps nginx's phrases).
    public var headersOut = ResponseHeaders()
    /// Header already passed to the connection.
    public internal(set) var headerSent = false
    /// The response body is over (last chunk sent).
    public internal(set) var responseDone = false
    /// Set for internal redirects and error_page requests.
    public var isInternal = false
    /// nginx's `r->valid_location`: false after `rewrite ... break` changed the URI inside
    /// the location, so that proxy_pass sends the URI as is instead of replacing the prefix.
    public var validLocation = true
    /// The body was discarded (nginx then reports `$content_length` 0 for a chunked body).
    public var bodyDiscarded = false
    /// Read from data that followed the previous request (`$pipe` is "p").
    public var pipelined = false
    /// `Expect: 100-continue` still to be answered (after the location's size check).
    var expectContinuePending = false
    /// Set when a subrequest (`ngx.location.capture`).
    public var parent: HTTPRequest? {
        get { rareIfMade?.parent }
        set {
            if newValue == nil && rareIfMade == nil { return }
            rare.parent = newValue
        }
    }
    /// Remaining URI changes before 500 (nginx allows 10 redirects/rewrites).
    var uriChanges = 11
    var uriChanged = false
    var phase = Phase.serverRewrite
    var handlerIndex = 0
    /// Whether an error_page redirect already happened (recursive_error_pages).
    var errorPageDone = false
    /// The request body as received so far.
    public var body = RequestBody()
    /// When the request started (seconds with msec, for `$request_time`).
    public let startTime: Double
    public let startMonotonic: Int64
    /// Bytes written to the client, header included.
    public var bytesSent: Int64 = 0
    /// Body bytes written.
    public var bodyBytesSent: Int64 = 0
    /// Whether the client connection should be kept after this response.
    public var keepAlive: Bool
    /// Whether the response uses chunked transfer-encoding.
    var chunked = false
    /// HEAD request: body is not sent.
    public var headerOnly: Bool
    /// Module per-request state (ngx_lua keeps its context here).
    public var moduleContexts = ModuleContexts()
    /// The tries of every upstream this request used (nginx's `r->upstream_states`):
    /// unlike module contexts they survive internal redirects.
    var upstreamStates: [ProxyTry] = []
    /// `http://peer/uri` of the upstream in use: nginx adds it to every error log line
    /// of the request from then on.
    var upstreamLogName: String?
    /// Logged already.
    var logged = false
    /// Response finished and the request is over.
    public internal(set) var finalized = false
    /// `$request_id`.
    public var requestID: String {
        if let id = rareIfMade?.requestID { return id }
        var s = ""
        for _ in 0..<16 {
            let b = UInt8.random(in: 0...255)
            s += String(b, radix: 16).count == 1 ? "0" + String(b, radix: 16) : String(b, radix: 16)
        }
        rare.requestID = s
        return s
    }
    /// Callbacks run when the request is finalized (for modules that hold resources).
    public var cleanups = RequestCleanups()
    /// Set when the client went away.
    public var clientAborted = false
    /// The error_page target status override.
    var errStatus = 0
    /// Send `Location` as given even when relative (ngx_lua's `ngx.redirect` marks its
    /// header so nginx's header filter leaves it alone).
    public var locationVerbatim = false
    /// The response's gzip compression, when the gzip filter chose to compress.
    public internal(set) var gzip: GzipStream? {
        get { rareIfMade?.gzip }
        set {
            if newValue == nil && rareIfMade == nil { return }
            rare.gzip = newValue
        }
    }
    /// nginx's `r->gzip_vary`: the response could have been compressed (`gzip_vary`).
    var gzipVary = false
    /// nginx's `r->headers_out.charset` as the proxy module sets it: the `charset=`
    /// parameter of the upstream's Content-Type.
    public var contentTypeCharset: String? {
        get { rareIfMade?.contentTypeCharset }
        set {
            if newValue == nil && rareIfMade == nil { return }
            rare.contentTypeCharset = newValue
        }
    }
    /// nginx's `r->headers_out.charset` as the charset filter leaves it: written as
    /// `; charset=NAME` after a Content-Type that has no parameters.
    var responseCharset: String? {
        get { rareIfMade?.responseCharset }
        set {
            if newValue == nil && rareIfMade == nil { return }
            rare.responseCharset = newValue
        }
    }
    /// Set for subrequests made by `makeSubrequest`: the response goes there.
    public internal(set) var subrequestSink: SubrequestSink? {
        get { rareIfMade?.subrequestSink }
        set {
            if newValue == nil && rareIfMade == nil { return }
            rare.subrequestSink = newValue
        }
    }

    /// `$uri` and `$args` as the request line gave them (nginx's valid_unparsed_uri test:
    /// the proxy sends the client's URI as is while these are unchanged).
    let initialURI: String
    let initialArgs: String?

    // Inlined so the head is moved in: as a call, the optimizer turns the consumed
    // parameter into a borrowed one and copies it (every string and array retained).
    @inline(__always)
    init(connection: HTTPConnection, head: consuming RequestHead, server: ServerConfig, path: String, args: String?) {
        self.connection = connection
        let method = head.method
        self.keepAlive = head.keepAliveRequested
        // The length first: "GET" is then told apart without String comparison's call.
        // (Not head.method on the right of &&: its autoclosure would copy the head.)
        self.headerOnly = method.utf8.count == 4 && method == "HEAD"
        // Moved, not copied: a copy retains and releases every string and array in it.
        self.head = head
        self.uri = path
        self.args = args
        self.initialURI = path
        self.initialArgs = args
        self.server = server
        self.loc = server.serverLevel
        self.startTime = CachedTime.now
        self.startMonotonic = CachedTime.monotonicMsec
    }

    deinit {
        // The head's bytes serve the next request's head once this one is gone.
        HeadStorage.recycle(head.storage)
        if headersOut.list.capacity != 0 { ResponseHeaders.recycle(&headersOut.list) }
    }

    /// A regex capture (`$1`), nil if unset.
    public func capture(_ n: Int) -> String? {
        guard let c = rareIfMade?.captures, n < c.count else { return nil }
        return c[n]
    }

    /// Stores the captures of a match of `regex` on `subject`.
    func setCaptures(_ ranges: [Range<Int>?], subject: String, regex: Regex) {
        let u = Array(subject.utf8)
        let rare = self.rare
        rare.captures = ranges.map { r in r.map { String(decoding: u[$0], as: UTF8.self) } }
        for (name, idx) in regex.names where idx < rare.captures.count {
            if let v = rare.captures[idx] {
                rare.namedCaptures[name] = v
                // nginx stores named captures as variables that outlive the match.
                userVars[name.lowercased()] = v
            }
        }
    }

    /// The first request header named `name` (case-insensitive).
    public func header(_ name: String) -> String? { RequestHead.header(name, head.list, head.storage) }

    /// The error log context nginx appends: `, client: ..., server: ..., request: "...", host: "..."`.
    public var logContext: String {
        // nginx's ngx_http_log_error_handler: the main request's line, then the
        // subrequest's URI when a subrequest logs, the upstream, host and referrer.
        var main = self
        while let p = main.parent { main = p }
        var s = ", client: \(connection.remoteAddress), server: \(server.primaryName)"
        s += ", request: \"\(main.head.requestLineForLog)\""
        if main !== self { s += ", subrequest: \"\(uri)\"" }
        if let u = upstreamLogName { s += ", upstream: \"\(u)\"" }
        if let h = main.head.hostForLog { s += ", host: \"\(h)\"" }
        if let ref = main.head.header("referer") { s += ", referrer: \"\(ref)\"" }
        return s
    }

    /// The error log of the request's location (its server's, its http block's, or the
    /// main one when none of them has `error_log`).
    public var errorLog: ErrorLog { loc.errorLog ?? ErrorLog.shared }

    /// Logs with the request's connection number and context.
    public func log(_ level: LogLevel, _ message: String) {
        let log = errorLog
        guard log.enabled(level) else { return }
        log.log(level, message, connection: connection.number, context: logContext)
    }
}

/// The request body as buffered by the connection.
public struct RequestBody {
    /// Bytes received so far (decoded from chunked framing).
    public var data: [UInt8] = []
    /// All of it arrived.
    public var complete = false
    /// The body was too large (413 was decided).
    public var tooLarge = false
    /// Body was replaced by a module (`ngx.req.set_body_data`).
    public var replaced = false
    /// Sizes of the chunks of a chunked body, in order.
    public var chunkSizes: [Int] {
        get { hooks?.chunkSizes ?? [] }
        set {
            if newValue.isEmpty && hooks == nil { return }
            madeHooks().chunkSizes = newValue
        }
        _modify { yield &madeHooks().chunkSizes }
    }

    /// What only a body that is read, streamed or waited for needs (most requests have
    /// no body): one reference to initialize and release instead of six. (A copy of a
    /// RequestBody shares them: the request's body is used in place, never copied whole.)
    final class Hooks {
        var chunkSizes: [Int] = []
        var waiters: [() -> Void] = []
        var onProgress: (() -> Void)?
        var sink: ((ByteBuffer) -> Void)?
        var onClaim: (() -> Void)?
        var raw: [UInt8] = []
    }
    private var hooks: Hooks?
    private mutating func madeHooks() -> Hooks {
        if let h = hooks { return h }
        let h = Hooks()
        hooks = h
        return h
    }

    /// nginx's "client intended to send too large chunked body: 8+8 bytes" text for the
    /// first chunk that crosses `max`, or nil.
    public func chunkedOverflow(max: Int) -> String? {
        var total = 0
        for c in chunkSizes {
            if total + c > max { return "\(total)+\(c) bytes" }
            total += c
        }
        return nil
    }
    /// Callbacks waiting for the body (`ngx.req.read_body`).
    var waiters: [() -> Void] {
        get { hooks?.waiters ?? [] }
        set {
            if newValue.isEmpty && hooks == nil { return }
            madeHooks().waiters = newValue
        }
        _modify { yield &madeHooks().waiters }
    }
    /// The client closed the connection before all of it arrived.
    public var aborted = false
    /// A streaming reader (`ngx.req.socket()`): called after bytes arrive, when the body
    /// completes and when the client aborts.
    public var onProgress: (() -> Void)? {
        get { hooks?.onProgress }
        set {
            if newValue == nil && hooks == nil { return }
            madeHooks().onProgress = newValue
        }
    }
    /// nginx's `r->request_body_no_buffering` (`proxy_request_buffering off`): body
    /// bytes go to `sink` as they arrive and are not kept in `data`.
    public var streaming = false
    /// Takes the decoded body bytes of a streaming body. While it is nil (the reader is
    /// not ready or its destination is full) the connection stops reading the client.
    public var sink: ((ByteBuffer) -> Void)? {
        get { hooks?.sink }
        set {
            if newValue == nil && hooks == nil { return }
            madeHooks().sink = newValue
        }
    }
    /// Decoded body bytes received, streamed ones included.
    public var received: Int64 = 0
    /// Sum of the chunk sizes of a streamed chunked body (its sizes are not kept).
    var chunkedTotal = 0

    /// Set by the connection while it holds back a body nobody asked for yet; the first
    /// reader that waits for the body calls it (nginx reads a body only when asked).
    var onClaim: (() -> Void)? {
        get { hooks?.onClaim }
        set {
            if newValue == nil && hooks == nil { return }
            madeHooks().onClaim = newValue
        }
    }
    /// The raw (still chunk-framed) bytes of a chunked body nobody claimed yet: what a
    /// raw `ngx.req.socket(true)` reads first (bounded by the held-body limit).
    public internal(set) var raw: [UInt8] {
        get { hooks?.raw ?? [] }
        set {
            if newValue.isEmpty && hooks == nil { return }
            madeHooks().raw = newValue
        }
        _modify { yield &madeHooks().raw }
    }
    /// Whether `raw` is still kept (until a reader claims the body).
    public internal(set) var keepRaw = true

    /// Runs `f` when the body is complete (at once if it is).
    public mutating func whenComplete(_ f: @escaping () -> Void) {
        if complete {
            f()
            return
        }
        waiters.append(f)
        claim()
    }

    /// A reader started (`ngx.req.socket()`, a waiter): a body held back because nobody
    /// had asked for it is read again (nginx reads a body only when asked).
    public mutating func claim() {
        keepRaw = false
        raw = []
        if let c = onClaim {
            onClaim = nil
            c()
        }
    }
}
