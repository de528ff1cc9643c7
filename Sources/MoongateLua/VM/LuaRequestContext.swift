import CLuaJIT
import MoongateCore
import MoongateHTTP

/// Per-request Lua state (ngx_lua's `ngx_http_lua_ctx_t`): the phase running, `ngx.ctx`,
/// the entry thread and what it waits for.
public final class LuaRequestContext: RequestCleanupObject {
    /// The request; nil for timers and init phases. Set again only for the balancer's
    /// spare context (LuaBalancer), which serves one request at a time.
    public internal(set) var request: HTTPRequest?
    /// The phase whose Lua code runs.
    public var phase: LuaPhase
    /// Registry ref of the `ngx.ctx` table, LUA_NOREF until first used.
    var ctxRef: Int32 = LUA_NOREF
    /// Set by `ngx.exit`: the status the handler exits with.
    var exitCode: Int? = nil
    /// Set by `ngx.exec`/`ngx.redirect`: what to do once the thread stopped.
    var pendingJump: (() -> Void)? = nil
    /// The thread running the current phase handler.
    var entry: LuaThread? = nil
    /// Body filter arguments (`ngx.arg[1]`, `ngx.arg[2]`).
    var bodyChunk: [UInt8]? = nil
    /// Output held back for an HTTP/1.0 client (`lua_http10_buffering on`) so that the
    /// response can carry Content-Length instead of closing the connection.
    var http10Buffer: [UInt8]? = nil
    var bodyEOF = false
    /// `ngx.header.content_type` was assigned (even nil): no default type is added then
    /// (ngx_lua's `ctx->mime_set`).
    var mimeSet = false
    /// `ngx.req.read_body` or `lua_need_request_body` asked for the body.
    var bodyRead = false
    var bodyChunkChanged = false
    /// `ngx.req.socket(true)` took the connection (output fails from then on).
    var rawSocketAcquired = false
    /// Whether the code is running inside a user coroutine or pcall that cannot yield.
    var cleanupRegistered = false
    /// Light threads spawned by this request or timer (nil until the first spawn).
    var lightThreads: LuaLightThreads? = nil
    /// Cosockets this request or timer connected: closed when it ends (ngx_lua's
    /// cleanup), without a closure or weak references per connect.
    /// The first in a field of its own: most requests connect one socket (no array).
    var cosocket: LuaTCPSocket? = nil

    /// What few contexts use, allocated by the first use: a request's context is made
    /// and freed without these fields' stores and releases.
    final class Extras {
        var setArgs: [String] = []
        var timerLog: (connection: Int, suffix: String)? = nil
        var timerLoc: LocationConfig? = nil
        var cosockets: [LuaTCPSocket] = []
        var udpSockets: [LuaUDPSocket] = []
    }
    private var extras: Extras? = nil
    private var madeExtras: Extras {
        if let e = extras { return e }
        let e = Extras()
        extras = e
        return e
    }

    /// set_by_lua arguments and result.
    var setArgs: [String] {
        get { extras?.setArgs ?? [] }
        set { madeExtras.setArgs = newValue }
    }
    /// A timer's fake connection number and log context (", client: ..., server: ...").
    var timerLog: (connection: Int, suffix: String)? {
        get { extras?.timerLog }
        set { madeExtras.timerLog = newValue }
    }
    /// A timer's creating location (its settings stand in for a request's).
    var timerLoc: LocationConfig? {
        get { extras?.timerLoc }
        set { madeExtras.timerLoc = newValue }
    }
    /// The cosockets after `cosocket`.
    var cosockets: [LuaTCPSocket] {
        get { extras?.cosockets ?? [] }
        set { madeExtras.cosockets = newValue }
        _modify { yield &madeExtras.cosockets }
    }
    /// The UDP cosockets whose peer was set in this request or timer: closed at its end
    /// (ngx_http_lua_socket_udp_cleanup).
    var udpSockets: [LuaUDPSocket] {
        get { extras?.udpSockets ?? [] }
        _modify { yield &madeExtras.udpSockets }
    }
    /// The Lua settings of the request's location, looked up once per location rather than
    /// by name on every call that needs one (`locConf`). Not retained: the location
    /// keeps its settings, and the request keeps its location.
    /// (Plain pointers: unowned(unsafe) optionals are retained and released when read.)
    private var confLoc: UnsafeMutableRawPointer? = nil
    private var confCached: Unmanaged<LuaLocConf>? = nil
    /// Tells this context from any other (an address may be reused once it is freed, and
    /// a recycled context takes a new one).
    private(set) var serial: UInt64
    /// The next spare context (see `recycle`), owned by the list.
    private var nextSpare: Unmanaged<LuaRequestContext>? = nil
    /// Request contexts of the worker VM no request uses any more, reused by the next
    /// requests (`recycle`): a list linked through `nextSpare`, and its length.
    nonisolated(unsafe) private static var spareHead: Unmanaged<LuaRequestContext>? = nil
    nonisolated(unsafe) private static var spareCount = 0
    nonisolated(unsafe) private static var serials: UInt64 = 0
    /// The VM the code runs in: the worker's, or a request's own with
    /// `lua_code_cache off` (kept alive by the contexts that use it, closed after).
    let runtime: LuaRuntime?

    /// Whether `runtime` is the worker VM (a request context of it may be recycled).
    private let sharedVM: Bool

    init(request: HTTPRequest?, phase: LuaPhase, runtime: LuaRuntime? = LuaRuntime.shared) {
        self.request = request
        self.phase = phase
        self.runtime = runtime
        sharedVM = runtime != nil && runtime === LuaRuntime.shared
        LuaRequestContext.serials &+= 1
        serial = LuaRequestContext.serials
    }

    deinit {
        // Not released (no request cleanup ran): the sockets are nobody's now, as a
        // weak owner reference would have become nil.
        cosocket?.disown(serial)
        if let e = extras {
            for s in e.cosockets { s.disown(serial) }
            for s in e.udpSockets { s.disown(serial) }
        }
    }

    /// `LuaLocConf.of(r.loc)` for this context's request `r`, remembered for its location.
    @inline(__always) func locConf(_ r: HTTPRequest) -> LuaLocConf? {
        let loc = Unmanaged.passUnretained(r.loc).toOpaque()
        if confLoc == loc { return confCached?.takeUnretainedValue() }
        let c = LuaLocConf.of(r.loc)
        confLoc = loc
        confCached = c.map { Unmanaged.passUnretained($0) }
        return c
    }

    /// Points the balancer's spare context at a request, or at none: the settings it
    /// remembered belong to the last request's location, which may be gone by the next.
    func lend(to r: HTTPRequest?) {
        request = r
        confLoc = nil
        confCached = nil
    }

    /// The context attached to a request, if any (only this module sets the slot).
    @inline(__always) static func attached(_ r: HTTPRequest) -> LuaRequestContext? {
        guard let o = r.moduleContexts.lua else { return nil }
        return unsafeDowncast(o, to: LuaRequestContext.self)
    }

    /// The context attached to a request, created on first use.
    @inline(__always) static func of(_ r: HTTPRequest, phase: LuaPhase) -> LuaRequestContext {
        if let c = LuaRequestContext.attached(r) {
            c.phase = phase
            return c
        }
        let loc = r.loc
        return make(r, phase: phase, loc: loc, locConf: LuaLocConf.of(loc))
    }

    /// `of(r, phase:)` with the Lua settings of `r.loc` already known (a phase handler
    /// remembers them for its location).
    @inline(__always) static func of(_ r: HTTPRequest, phase: LuaPhase, locConf lc: LuaLocConf?) -> LuaRequestContext {
        if let c = LuaRequestContext.attached(r) {
            c.phase = phase
            return c
        }
        return make(r, phase: phase, loc: r.loc, locConf: lc)
    }

    @inline(never)
    private static func make(_ r: HTTPRequest, phase: LuaPhase, loc: LocationConfig, locConf lc: LuaLocConf?) -> LuaRequestContext {
        let c: LuaRequestContext
        // A recycled context (only the worker VM's are kept) when `forNewContext` would
        // give the worker VM: the code cache is on and the request is no subrequest.
        if let spare = spareHead, spare._withUnsafeGuaranteedRef({ s in
            guard let rt = s.runtime, rt === LuaRuntime.shared else { return false }
            return lc?.codeCache ?? rt.mainConf.codeCache
        }), r.parent == nil {
            c = spare.takeRetainedValue()
            spareHead = c.nextSpare
            spareCount &-= 1
            c.nextSpare = nil
            c.request = r
            c.phase = phase
            LuaRequestContext.serials &+= 1
            c.serial = LuaRequestContext.serials
        } else {
            c = LuaRequestContext(request: r, phase: phase, runtime: LuaRuntime.forNewContext(r, locConf: lc))
        }
        c.confLoc = Unmanaged.passUnretained(loc).toOpaque()
        c.confCached = lc.map { Unmanaged.passUnretained($0) }
        r.moduleContexts.lua = c
        // Strong on purpose: finalize runs and drops the cleanups, which ends the cycle; a weak
        // reference would cost a side-table allocation per request. An object cleanup: no
        // closure context allocated per request.
        r.cleanups.append(object: c)
        return c
    }

    public func requestCleanup() { release() }

    /// Keeps a request's context that nothing refers to any more (its request finished:
    /// the request dropped it and its cleanup ran) for the next request of the worker VM,
    /// when it holds nothing a new context would not: saves its allocation and free.
    @inline(never)
    static func recycle(_ c: inout LuaRequestContext) {
        guard isKnownUniquelyReferenced(&c) else { return }
        recycleUnique(c)
    }

    @inline(never)
    private static func recycleUnique(_ c: LuaRequestContext) {
        guard spareCount < 64, c.ctxRef == LUA_NOREF, c.entry == nil, c.pendingJump == nil,
            c.lightThreads == nil, c.cosocket == nil, c.extras == nil, c.bodyChunk == nil,
            c.http10Buffer == nil, c.sharedVM
        else { return }
        c.request = nil
        c.exitCode = nil
        c.bodyEOF = false
        c.mimeSet = false
        c.bodyRead = false
        c.bodyChunkChanged = false
        c.rawSocketAcquired = false
        c.cleanupRegistered = false
        c.confLoc = nil
        c.confCached = nil
        c.nextSpare = spareHead
        spareHead = Unmanaged.passRetained(c)
        spareCount &+= 1
    }

    /// The context for a filter or log handler running `phase`, with the phase to give
    /// back after (the one running, or `phase` for a new context).
    static func enter(_ r: HTTPRequest, phase: LuaPhase) -> (LuaRequestContext, LuaPhase) {
        if let c = LuaRequestContext.attached(r) {
            let saved = c.phase
            c.phase = phase
            return (c, saved)
        }
        return (of(r, phase: phase), phase)
    }

    /// Frees Lua references held for the request.
    func release() {
        if ctxRef != LUA_NOREF, let rt = runtime {
            luaL_unref(rt.L, mg_lua_registryindex(), ctxRef)
            ctxRef = LUA_NOREF
        }
        entry?.abandon()
        entry = nil
        lightThreads?.killAll()
        // Each socket leaves the list before it is detached, so that a spare is
        // referred to by nothing else.
        if var s = cosocket {
            cosocket = nil
            s.ownerReleased(serial)
            LuaTCPSocket.detach(&s)
        }
        if let e = extras, !e.cosockets.isEmpty {
            var owned = e.cosockets
            e.cosockets = []
            while var s = owned.popLast() {
                s.ownerReleased(serial)
                LuaTCPSocket.detach(&s)
            }
        }
        if let e = extras, !e.udpSockets.isEmpty {
            let owned = e.udpSockets
            e.udpSockets = []
            for s in owned { s.ownerReleased(serial) }
        }
    }

    /// Logs with the request's context appended (or none for timers).
    func log(_ level: LogLevel, _ message: String) {
        if let r = request {
            r.log(level, message)
        } else if let t = timerLog {
            ErrorLog.shared.log(level, message, connection: t.connection, context: ", context: ngx.timer" + t.suffix)
        } else {
            let suffix = phase == .timer ? ", context: ngx.timer" : phase == .initWorker ? ", context: init_worker_by_lua*" : ""
            ErrorLog.shared.log(level, message, context: suffix)
        }
    }
}
