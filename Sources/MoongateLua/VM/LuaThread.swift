import CLuaJIT
import CMoongate
import MoongateCore
import MoongateHTTP

/// A Lua coroutine running a phase handler (ngx_lua's entry thread). It yields to Swift
/// when it waits; whoever completes the wait calls `resume(with:)`.
final class LuaThread {
    enum State { case idle, running, yielded, dead }

    /// How the thread ended.
    enum Outcome {
        /// Returned normally (results left on its stack are dropped).
        case finished
        /// `ngx.exit(code)` (or exec/redirect through `pendingJump`).
        case exited(Int)
        /// A Lua error with traceback.
        case failed(String)
    }

    private(set) var co: OpaquePointer
    private var ref: Int32
    let runtime: LuaRuntime
    /// The context, retained by hand: a spare thread (see `recycleObject`) lets it go
    /// without holding a placeholder in its place (a retain and a lazy global less).
    private var contextRef: Unmanaged<LuaRequestContext>
    private var holdsContext = true
    var context: LuaRequestContext {
        @inline(__always) get { contextRef.takeUnretainedValue() }
    }
    /// `context` without a reference taken (valid while the thread holds it).
    var contextUnretained: Unmanaged<LuaRequestContext> {
        @inline(__always) get { contextRef }
    }
    var state = State.idle
    /// Set when a wait completes while the thread has not yielded yet.
    private var pendingPush: ((OpaquePointer) -> Int32)?
    /// Who is told of the end: a closure, or (phase handlers, without a closure and its
    /// captured state allocated per request) an owner object.
    private let onDone: ((Outcome) -> Void)?
    /// Not retained: a phase handler lives in its location's configuration, which the
    /// request (kept by the thread's context) holds.
    /// (Unmanaged: an unowned(unsafe) optional is retained and released when read.)
    private var owner: Unmanaged<LuaPhaseHandler>?
    /// State of a phase handler's run, kept here instead of in captured variables.
    var fnRef: Int32 = LUA_NOREF
    var fnTemporary = false
    /// Whether the phase engine was already told `.again` (the end resumes the phases).
    var isAsync = false
    /// The phase result when the thread ended before `start` returned.
    var syncResult: PhaseResult? = nil

    /// The thread whose code runs right now (waiting APIs resume it later). Kept
    /// unretained as `LuaRuntime.current` is: `run` sets it to itself and gives back the
    /// thread below it.
    nonisolated(unsafe) private static var runningRef: Unmanaged<LuaThread>? = nil
    static var running: LuaThread? {
        @inline(__always) get { runningRef?.takeUnretainedValue() }
    }
    /// `running` without a reference taken: the running thread outlives the FFI call
    /// that reads it (its coroutine is the caller).
    static var runningUnretained: Unmanaged<LuaThread>? {
        @inline(__always) get { runningRef }
    }

    /// Whether the coroutine returns to the pool when done (light threads' coroutines are
    /// Lua values user code keeps, so they are never reused).
    private let pooled: Bool

    convenience init(runtime: LuaRuntime, context: LuaRequestContext, pooled: Bool = true, onDone: @escaping (Outcome) -> Void) {
        self.init(runtime: runtime, context: context, pooled: pooled, onDone: onDone, owner: nil)
    }

    /// A pooled thread whose end is reported to `owner.threadEnded`.
    private convenience init(runtime: LuaRuntime, context: LuaRequestContext, owner: LuaPhaseHandler) {
        self.init(runtime: runtime, context: context, pooled: true, onDone: nil, owner: owner)
    }

    private init(
        runtime: LuaRuntime, context: LuaRequestContext, pooled: Bool, onDone: ((Outcome) -> Void)?,
        owner: LuaPhaseHandler?
    ) {
        self.runtime = runtime
        self.contextRef = Unmanaged.passRetained(context)
        self.onDone = onDone
        self.owner = owner.map { Unmanaged.passUnretained($0) }
        self.pooled = pooled
        (co, ref) = LuaThread.coroutine(runtime, pooled: pooled)
    }

    /// Ended phase-handler thread objects of the worker VM, reused by `make`: a list
    /// linked through `nextSpare` (owned by the list), and its length. No array to grow
    /// or check for uniqueness, no runtime reference taken per request.
    nonisolated(unsafe) private static var spareHead: Unmanaged<LuaThread>? = nil
    nonisolated(unsafe) private static var spareCount = 0
    private var nextSpare: Unmanaged<LuaThread>? = nil
    /// The coroutine ended cleanly in a phase handler's synchronous run and stays with
    /// this object (not put back in the runtime's pool and taken out again by the next
    /// `make`) when `recycleObject` keeps it; given back to the pool otherwise.
    private var keptCoroutine = false

    /// A thread for a phase handler: a spare object of the runtime when there is one
    /// (see `recycleObject`), else a new one.
    static func make(runtime: LuaRuntime, context: LuaRequestContext, owner: LuaPhaseHandler) -> LuaThread {
        guard let s = spareHead, s._withUnsafeGuaranteedRef({ $0.runtime === runtime }) else {
            return LuaThread(runtime: runtime, context: context, owner: owner)
        }
        let t = s.takeRetainedValue()
        spareHead = t.nextSpare
        spareCount &-= 1
        t.nextSpare = nil
        t.contextRef = Unmanaged.passRetained(context)
        t.holdsContext = true
        t.owner = Unmanaged.passUnretained(owner)
        if t.keptCoroutine {
            t.keptCoroutine = false
        } else {
            (t.co, t.ref) = LuaThread.coroutine(runtime, pooled: true)
        }
        return t
    }

    /// Keeps a thread made by `make` for reuse once it ended and nothing else refers to it
    /// (no API still holds it to resume it): saves its allocation per phase handler.
    static func recycleObject(_ t: inout LuaThread) {
        guard t.state == .dead, t.owner != nil, t.pendingPush == nil, spareCount < 64,
            isKnownUniquelyReferenced(&t)
        else {
            t.giveBackKeptCoroutine()
            return
        }
        recycleUnique(t)
    }

    /// Puts a coroutine this object kept (see `keptCoroutine`) back in the runtime's pool.
    func giveBackKeptCoroutine() {
        guard keptCoroutine else { return }
        keptCoroutine = false
        returnCoroutine()
    }

    @inline(never)
    private static func recycleUnique(_ t: LuaThread) {
        // The coroutine went back to the pool (or was dropped) when the thread ended, or
        // it stays with the object.
        guard t.ref == LUA_NOREF || t.keptCoroutine, !t.runtime.isPerRequest else {
            t.giveBackKeptCoroutine()
            return
        }
        // Spare threads must not keep a request alive; the context is set again by `make`.
        // A thread that ended after its phase handler returned (it waited: a cosocket
        // read) holds the last reference to its context once the request finished: the
        // context is kept for the next request then, as the handler keeps it when the
        // thread ends before `start` returns (else it is just released).
        t.holdsContext = false
        var c = t.contextRef.takeRetainedValue()
        LuaRequestContext.recycle(&c)
        t.owner = nil
        t.state = .idle
        t.fnRef = LUA_NOREF
        t.fnTemporary = false
        t.isAsync = false
        t.syncResult = nil
        t.nextSpare = spareHead
        spareHead = Unmanaged.passRetained(t)
        spareCount &+= 1
    }

    deinit {
        if holdsContext { contextRef.release() }
        giveBackKeptCoroutine()
    }

    private static func coroutine(_ runtime: LuaRuntime, pooled: Bool) -> (OpaquePointer, Int32) {
        if pooled, let (co, ref) = runtime.threadPool.popLast() {
            return (co, ref)
        }
        let L = runtime.L
        let co = lua_newthread(L)!
        // Anchored in the registry while alive (and while pooled).
        return (co, luaL_ref(L, mg_lua_registryindex()))
    }

    /// Tells the owner or the closure how the thread ended.
    func report(_ outcome: Outcome) {
        if let owner {
            owner._withUnsafeGuaranteedRef { $0.threadEnded(self, outcome) }
        } else {
            onDone?(outcome)
        }
    }

    /// Starts the function with registry ref `fn`, with `args` pushed by the closure.
    func start(function fn: Int32, pushArgs: ((OpaquePointer) -> Int32)? = nil) {
        lua_settop(co, 0)
        lua_rawgeti(co, mg_lua_registryindex(), fn)
        let n = pushArgs?(co) ?? 0
        run(nargs: n)
    }

    /// Completes a wait: `push` puts the results on the coroutine's stack.
    func resume(with push: @escaping (OpaquePointer) -> Int32) {
        switch state {
        case .yielded:
            let n = push(co)
            run(nargs: n)
        case .running:
            pendingPush = push
        case .idle, .dead:
            break
        }
    }

    /// `resume(with:)` without keeping `push` (no closure allocated): false when the
    /// thread has not yielded, and the caller resumes it with `resume(with:)` instead.
    func resumeNow(_ push: (OpaquePointer) -> Int32) -> Bool {
        guard state == .yielded else { return false }
        let n = push(co)
        run(nargs: n)
        return true
    }

    private func run(nargs: Int32) {
        LuaRuntime.seedRandomIfPending()
        var nargs = nargs
        while true {
            state = .running
            // The previous values are held by the frames below this one: not retained here.
            let saved = LuaRuntime.currentUnretained
            let savedThread = LuaThread.runningRef
            LuaRuntime.current = context
            LuaThread.runningRef = Unmanaged.passUnretained(self)
            mg_shm_clock_run_begin()
            let rc = lua_resume(co, nargs)
            mg_shm_clock_run_end()
            LuaRuntime.currentUnretained = saved
            LuaThread.runningRef = savedThread
            switch rc {
            case 0:
                state = .dead
                recycle()
                if let code = context.exitCode {
                    finish(.exited(code))
                } else {
                    finish(.finished)
                }
                return
            case LUA_YIELD:
                if let code = context.exitCode {
                    state = .dead
                    discard()
                    finish(.exited(code))
                    return
                }
                if let push = pendingPush {
                    pendingPush = nil
                    nargs = push(co)
                    continue
                }
                state = .yielded
                return
            default:
                state = .dead
                let msg = errorWithTraceback()
                discard()
                finish(.failed(msg))
                return
            }
        }
    }

    /// Reports the end, unless light threads of the request keep it alive.
    private func finish(_ outcome: Outcome) {
        if let lt = context.lightThreads, lt.entryEnded(self, outcome) { return }
        report(outcome)
    }

    /// Stops a thread that is suspended and reports `outcome` as its end (a light thread
    /// called ngx.exit while the entry thread waited).
    func terminate(_ outcome: Outcome) {
        guard state == .yielded || state == .idle else { return }
        state = .dead
        discard()
        report(outcome)
    }

    private func errorWithTraceback() -> String {
        let L = runtime.L
        var len = 0
        var msg = "unknown reason"
        if lua_type(co, -1) == LUA_TSTRING || lua_type(co, -1) == LUA_TNUMBER, let p = lua_tolstring(co, -1, &len) {
            msg = String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self)
        }
        // debug.traceback(co, msg) from the main state.
        lua_getfield(L, mg_lua_globalsindex(), "debug")
        lua_getfield(L, -1, "traceback")
        lua_remove(L, -2)
        lua_pushthread(co)
        lua_xmove(co, L, 1)
        lua_pushstring(L, msg)
        if lua_pcall(L, 2, 1, 0) == 0 {
            let tb = runtime.vm.luaString(at: -1) ?? msg
            mg_lua_pop(L, 1)
            return tb
        }
        mg_lua_pop(L, 1)
        return msg
    }

    /// Returns a cleanly finished coroutine to the pool.
    private func recycle() {
        guard pooled else {
            discard()
            return
        }
        lua_settop(co, 0)
        // A phase handler's thread ending before `start` returned: `recycleObject` comes
        // next (or the phase handler gives the coroutine back).
        if owner != nil && !isAsync && !runtime.isPerRequest {
            keptCoroutine = true
            return
        }
        returnCoroutine()
    }

    private func returnCoroutine() {
        if runtime.threadPool.count < 512 {
            runtime.threadPool.append((co, ref))
        } else {
            luaL_unref(runtime.L, mg_lua_registryindex(), ref)
        }
        ref = LUA_NOREF
    }

    /// Drops a coroutine that cannot be reused (errored or abandoned while suspended).
    private func discard() {
        if ref != LUA_NOREF {
            luaL_unref(runtime.L, mg_lua_registryindex(), ref)
            ref = LUA_NOREF
        }
    }

    /// The request went away while the thread waited: never resume it.
    func abandon() {
        if state == .yielded || state == .idle {
            state = .dead
            discard()
        }
    }
}
