import CLuaJIT
import MoongateCore
import MoongateHTTP

/// `rewrite_by_lua*`, `access_by_lua*`, `precontent_by_lua*`, `server_rewrite_by_lua*` and
/// `content_by_lua*`: runs the code in a coroutine that may wait (ngx_lua's
/// `*_by_chunk` functions).
///
/// The end of the threads it starts comes back through `threadEnded` (see
/// `LuaThread.make(runtime:context:owner:)`).
final class LuaPhaseHandler: PhaseHandler {
    let code: LuaCode
    let phase: LuaPhase
    /// The Lua settings of the last location this handler ran in (looked up by name and
    /// cast once per location, not per request). Not retained: locations keep their
    /// settings and live as long as the configuration holding this handler.
    /// (Plain pointers: unowned(unsafe) optionals are retained and released when read.)
    private var confLoc: UnsafeMutableRawPointer? = nil
    private var confCached: Unmanaged<LuaLocConf>? = nil

    init(code: LuaCode, phase: LuaPhase) {
        self.code = code
        self.phase = phase
    }

    func handle(_ r: HTTPRequest) -> PhaseResult {
        let loc = Unmanaged.passUnretained(r.loc).toOpaque()
        let lc: LuaLocConf?
        if confLoc == loc {
            lc = confCached?.takeUnretainedValue()
        } else {
            lc = LuaLocConf.of(r.loc)
            confLoc = loc
            confCached = lc.map { Unmanaged.passUnretained($0) }
        }
        var ctx = LuaRequestContext.of(r, phase: phase, locConf: lc)
        let result = handle(r, ctx)
        // The request may be over (its content handler ran to the end): the context is
        // then nobody else's and is kept for the next request.
        LuaRequestContext.recycle(&ctx)
        return result
    }

    @inline(__always) private func handle(_ r: HTTPRequest, _ ctx: LuaRequestContext) -> PhaseResult {
        guard let rt = ctx.runtime else { return .status(500) }
        let fn: (ref: Int32, temporary: Bool)
        if code.isInline && !rt.isPerRequest {
            // The worker VM's compiled chunk (what `code.function` returns for it).
            fn = (code.ref, false)
        } else {
            guard let f = code.function(rt, r, log: { r.log(.error, $0) }) else {
                return .status(LuaCode.lastFileMissing ? 404 : 500)
            }
            fn = f
        }
        let needBody = phase != .set && (ctx.locConf(r)?.needRequestBody ?? rt.mainConf.needRequestBody)
        if needBody { ctx.bodyRead = true }
        if needBody, [.rewrite, .access, .content].contains(phase), !r.body.complete {
            r.body.whenComplete { [weak r] in
                guard let r, !r.finalized else { return }
                self.run(rt, ctx, r, fn, async: true)
            }
            return .again
        }
        return run(rt, ctx, r, fn, async: false)
    }

    @discardableResult
    private func run(_ rt: LuaRuntime, _ ctx: LuaRequestContext, _ r: HTTPRequest, _ fn: (ref: Int32, temporary: Bool), async: Bool) -> PhaseResult {
        // The run's state lives in the thread (no closure or boxed captures per request);
        // the end comes back through `threadEnded`.
        var thread = LuaThread.make(runtime: rt, context: ctx, owner: self)
        thread.fnRef = fn.ref
        thread.fnTemporary = fn.temporary
        thread.isAsync = async
        ctx.entry = thread
        ctx.exitCode = nil
        thread.start(function: fn.ref)
        if let s = thread.syncResult {
            LuaThread.recycleObject(&thread)
            return s
        }
        // (Light threads keep the request: the entry thread may have ended all the same.)
        thread.giveBackKeptCoroutine()
        thread.isAsync = true
        return .again
    }

    func threadEnded(_ thread: LuaThread, _ outcome: LuaThread.Outcome) {
        // Neither retained: the thread holds its context until it is recycled (after its
        // run returned), and the context holds its request.
        thread.contextUnretained._withUnsafeGuaranteedRef { ctx in
            guard let r = ctx.request else { return }
            Unmanaged.passUnretained(r)._withUnsafeGuaranteedRef { r in
                threadEnded(thread, outcome, ctx, r)
            }
        }
    }

    @inline(__always)
    private func threadEnded(_ thread: LuaThread, _ outcome: LuaThread.Outcome, _ ctx: LuaRequestContext, _ r: HTTPRequest) {
        if thread.fnTemporary { thread.runtime.release(thread.fnRef) }
        ctx.entry = nil
        let result = LuaPhaseHandler.map(outcome, phase: phase, r, ctx)
        if phase == .content {
            LuaPhaseHandler.finishContent(result, r)
            thread.syncResult = .again
            return
        }
        if thread.isAsync {
            r.resumePhases(with: result)
        } else {
            thread.syncResult = result
        }
    }

    /// `code.function(rt, r, log:)`, with the worker VM's compiled inline chunk taken
    /// at once (the filters and log handlers' usual case).
    @inline(__always) static func function(_ code: LuaCode, _ rt: LuaRuntime, _ r: HTTPRequest) -> (ref: Int32, temporary: Bool)? {
        if code.isInline && !rt.isPerRequest { return (code.ref, false) }
        return code.function(rt, r, log: { r.log(.error, $0) })
    }

    /// Turns how the thread ended into what the phase engine expects.
    static func map(_ outcome: LuaThread.Outcome, phase: LuaPhase, _ r: HTTPRequest, _ ctx: LuaRequestContext) -> PhaseResult {
        switch outcome {
        case .finished: flushHTTP10(ctx, r)
        case .exited(let code) where code < 300: flushHTTP10(ctx, r)
        default: ctx.http10Buffer = nil
        }
        if let jump = ctx.pendingJump {
            ctx.pendingJump = nil
            jump()
            return .again
        }
        switch outcome {
        case .finished:
            if phase == .content { return .done }
            if r.headerSent {
                // Output was produced: the request is over once the handler returns.
                return .status(0)
            }
            return .declined
        case .exited(let code):
            ctx.exitCode = nil
            switch code {
            case 0:
                return phase == .content ? .done : .ok
            case -1:
                return .status(500)
            case -4:
                return .status(0)
            default:
                if code >= 200 { return .status(code) }
                return .status(500)
            }
        case .failed(let msg):
            r.log(.error, "lua entry thread aborted: runtime error: \(msg)")
            return .status(500)
        }
    }

    static func finishContent(_ result: PhaseResult, _ r: HTTPRequest) {
        guard !r.finalized else { return }
        switch result {
        case .status(let c): r.finalize(c)
        case .again: break
        default: r.finalize(0)
        }
    }
}

/// `header_filter_by_lua*` and `body_filter_by_lua*`.
final class LuaFilter: ResponseFilter {
    let header: LuaCode?
    let body: LuaCode?

    init(header: LuaCode?, body: LuaCode?) {
        self.header = header
        self.body = body
    }

    var hasBodyFilter: Bool { body != nil }

    func headerFilter(_ r: HTTPRequest) -> FilterResult {
        guard let code = header else { return .ok }
        let (ctx, savedPhase) = LuaRequestContext.enter(r, phase: .headerFilter)
        guard let rt = ctx.runtime else { return .ok }
        // Filters run inside another phase's output call: give that phase back.
        defer { ctx.phase = savedPhase }
        guard let fn = LuaPhaseHandler.function(code, rt, r) else { return .error }
        defer { if fn.temporary { rt.release(fn.ref) } }
        if let err = rt.callSync(ref: fn.ref, context: ctx) {
            r.log(.error, "failed to run header_filter_by_lua*: \(err)")
            return .error
        }
        return .ok
    }

    func bodyFilter(_ r: HTTPRequest, _ chunk: inout BodyChunk) -> FilterResult {
        guard let code = body else { return .ok }
        let (ctx, savedPhase) = LuaRequestContext.enter(r, phase: .bodyFilter)
        guard let rt = ctx.runtime else { return .ok }
        // Filters run inside another phase's output call: give that phase back.
        defer { ctx.phase = savedPhase }
        guard let fn = LuaPhaseHandler.function(code, rt, r) else { return .error }
        defer { if fn.temporary { rt.release(fn.ref) } }
        if let d = chunk.data {
            ctx.bodyChunk = Array(d.readableBytesView)
        } else {
            ctx.bodyChunk = []
        }
        ctx.bodyEOF = chunk.last
        ctx.bodyChunkChanged = false
        if let err = rt.callSync(ref: fn.ref, context: ctx) {
            r.log(.error, "failed to run body_filter_by_lua*: \(err)")
            return .error
        }
        if ctx.bodyChunkChanged {
            let bytes = ctx.bodyChunk ?? []
            var b = r.connection.allocator.buffer(capacity: bytes.count)
            b.writeBytes(bytes)
            chunk.data = b
            chunk.last = ctx.bodyEOF
        }
        ctx.bodyChunk = nil
        return .ok
    }
}

/// `log_by_lua*`.
final class LuaLogHandler: LogHandler {
    let code: LuaCode

    init(code: LuaCode) { self.code = code }

    func log(_ r: HTTPRequest) {
        let (ctx, savedPhase) = LuaRequestContext.enter(r, phase: .log)
        guard let rt = ctx.runtime else { return }
        // Filters run inside another phase's output call: give that phase back.
        defer { ctx.phase = savedPhase }
        guard let fn = LuaPhaseHandler.function(code, rt, r) else { return }
        defer { if fn.temporary { rt.release(fn.ref) } }
        if let err = rt.callSync(ref: fn.ref, context: ctx) {
            r.log(.error, "failed to run log_by_lua*: \(err) while logging request")
        }
    }
}
