import CLuaJIT
import MoongateCore
import MoongateHTTP

/// ngx.timer.* (ngx_http_lua_timer.c): pending timers sit in the worker's timer heap;
/// each expiry runs the Lua runner in a new coroutine with its own context (phase
/// `timer`, no request). The callbacks and their arguments stay on the Lua side
/// (lua/resty/core/timer.lua), keyed by the timer's id.
enum LuaTimers {
    /// A timer waiting for its deadline: `id` is its Lua-side id in `runtime`, the VM it
    /// was created in (a request's own VM with lua_code_cache off, kept alive until then);
    /// `loc` is the creating request's location, whose settings (the resolver) the timer
    /// uses, as ngx_lua's fake request takes the creating request's loc_conf.
    private struct Pending {
        var entry: LuaTimerEntry
        var every: Int
        var log: String
        var id: Int
        var runtime: LuaRuntime
        var loc: LocationConfig?
    }

    /// Timers waiting for their deadline, by a key unique in the worker (Lua ids are
    /// per VM).
    nonisolated(unsafe) private static var pendingTimers: [Int: Pending] = [:]
    nonisolated(unsafe) private static var nextKey = 0
    /// Timer callbacks running now.
    nonisolated(unsafe) private(set) static var running = 0
    nonisolated(unsafe) private static var hooked = false

    static var pending: Int { pendingTimers.count }

    /// Adds timer `id`; `every` > 0 makes it repeat every `every` ms.
    /// `log` is the creating request's ", client: ..., server: ..." (timers log it).
    static func add(id: Int, delayMs: Int, every: Int, log: String, runtime: LuaRuntime, loc: LocationConfig? = nil) {
        hookWorkerExit()
        nextKey += 1
        let key = nextKey
        let e = LuaTimerHeap.add(ms: delayMs) { expire(key, premature: false) }
        pendingTimers[key] = Pending(entry: e, every: every, log: log, id: id, runtime: runtime, loc: loc)
    }

    private static func expire(_ key: Int, premature: Bool) {
        guard let t = pendingTimers.removeValue(forKey: key) else { return }
        var keep = false
        if t.every > 0, !premature, !WorkerInfo.exiting {
            // As ngx_lua: the next run is scheduled before this one starts.
            add(id: t.id, delayMs: t.every, every: t.every, log: t.log, runtime: t.runtime, loc: t.loc)
            keep = true
        }
        run(t.id, premature: premature, keep: keep, log: t.log, runtime: t.runtime, loc: t.loc)
    }

    private static func run(
        _ id: Int, premature: Bool, keep: Bool, log: String, runtime rt: LuaRuntime, loc: LocationConfig?
    ) {
        guard let runner = LuaModuleRef.function(rt, module: "resty.core.timer", field: "run") else { return }
        let max = rt.mainConf.maxRunningTimers
        let overloaded = running >= max
        let ctx = LuaRequestContext(request: nil, phase: .timer, runtime: rt)
        // nginx gives each timer a fake connection with a number of its own.
        ctx.timerLog = (ConnectionRegistry.shared.nextConnectionNumber(), log)
        ctx.timerLoc = loc
        if !overloaded { running += 1 }
        let thread = LuaThread(runtime: rt, context: ctx) { outcome in
            if !overloaded { running -= 1 }
            ctx.entry = nil
            if case .failed(let msg) = outcome {
                ctx.log(.error, "lua entry thread aborted: runtime error: \(msg)")
            }
            ctx.release()
        }
        ctx.entry = thread
        thread.start(function: runner) { co in
            lua_pushinteger(co, id)
            lua_pushboolean(co, premature ? 1 : 0)
            lua_pushboolean(co, keep ? 1 : 0)
            if overloaded {
                lua_pushstring(co, "\(max) lua_max_running_timers are not enough")
                return 4
            }
            return 3
        }
    }

    /// Graceful exit: pending timers run now with `premature` set; the worker waits
    /// for running ones.
    private static func hookWorkerExit() {
        if hooked { return }
        hooked = true
        ModuleHooks.workerExiting.append {
            let ids = pendingTimers.keys.sorted()
            for id in ids {
                pendingTimers[id]?.entry.cancel()
                expire(id, premature: true)
            }
        }
        ModuleHooks.workerBusy.append { running > 0 || !pendingTimers.isEmpty }
    }
}

/// `int mg_timer_add(int id, double delay_ms, int every, char **err)`: 0 OK, -1 with
/// "too many pending timers" / "process exiting", -101 bad context.
@_cdecl("mg_timer_add")
public func mg_timer_add(_ id: Int32, _ delay: Double, _ every: Int32, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    guard let ctx = LuaRuntime.current, ctx.phase != .initPhase else {
        FFIError.set(err, "no request")
        return FFI.noRequest
    }
    if ctx.phase == .exitWorker {
        FFIError.set(err, "API disabled in the context of \(ctx.phase.contextName)")
        return FFI.badContext
    }
    let ms = Int(delay)
    if WorkerInfo.exiting && ms > 0 {
        FFIError.set(err, "process exiting")
        return FFI.error
    }
    guard let rt = ctx.runtime, LuaTimers.pending < rt.mainConf.maxPendingTimers else {
        FFIError.set(err, "too many pending timers")
        return FFI.error
    }
    var log = ctx.timerLog?.suffix ?? ""
    if let r = ctx.request {
        let l = r.server.listens.first
        let host = l.map { $0.host == "*" ? "0.0.0.0" : $0.host } ?? "0.0.0.0"
        log = ", client: \(r.connection.remoteAddress), server: \(host):\(l?.port ?? 80)"
    }
    LuaTimers.add(
        id: Int(id), delayMs: ms, every: every != 0 ? max(ms, 1) : 0, log: log, runtime: rt,
        loc: ctx.request?.loc ?? ctx.timerLoc)
    return FFI.ok
}

/// `int mg_timer_count(int running)`: ngx.timer.running_count / pending_count.
@_cdecl("mg_timer_count")
public func mg_timer_count(_ running: Int32) -> Int32 {
    Int32(running != 0 ? LuaTimers.running : LuaTimers.pending)
}
