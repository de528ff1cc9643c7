import CLuaJIT
import MoongateCore

/// The user light threads of one request or timer (ngx_lua's uthreads): which are alive,
/// who waits for whom, and the entry thread's end held back until all of them are done.
final class LuaLightThreads {
    unowned let context: LuaRequestContext
    /// Threads whose coroutine has not ended, by id.
    private(set) var live: [Int: LuaThread] = [:]
    /// Threads waiting in `ngx.thread.wait`, with the ids they wait for.
    private var waiters: [(thread: LuaThread, ids: Set<Int>)] = []
    /// The entry thread finished while light threads ran: its report, held back.
    private var heldEntry: (outcome: LuaThread.Outcome, entry: LuaThread)?

    init(context: LuaRequestContext) { self.context = context }

    static func of(_ ctx: LuaRequestContext) -> LuaLightThreads {
        if let lt = ctx.lightThreads { return lt }
        let lt = LuaLightThreads(context: ctx)
        ctx.lightThreads = lt
        return lt
    }

    /// Starts the runner for `id` in a new coroutine sharing the context.
    func spawn(id: Int, runtime rt: LuaRuntime, runner: Int32) {
        let t = LuaThread(runtime: rt, context: context, pooled: false) { [weak self] outcome in
            self?.ended(id, outcome)
        }
        live[id] = t
        t.start(function: runner) { co in
            lua_pushinteger(co, id)
            return 1
        }
    }

    /// Starts the `ngx.on_abort` handler (registry ref `fn`) as a light thread with
    /// `runner` (resty.core.thread's run_abort); false when the entry thread is gone.
    func spawnAbort(runtime rt: LuaRuntime, runner: Int32, fn: Int32) -> Bool {
        guard let e = context.entry, e.state != .dead else { return false }
        // Ids from the Lua side are positive: the abort thread cannot collide.
        let id = -1
        let t = LuaThread(runtime: rt, context: context, pooled: false) { [weak self] outcome in
            self?.ended(id, outcome)
        }
        live[id] = t
        t.start(function: runner) { co in
            lua_pushinteger(co, lua_Integer(fn))
            return 1
        }
        return true
    }

    /// Called by the entry thread when it ends: true when the report is held back.
    func entryEnded(_ t: LuaThread, _ outcome: LuaThread.Outcome) -> Bool {
        guard t === context.entry else { return false }
        if case .finished = outcome, !live.isEmpty {
            heldEntry = (outcome, t)
            return true
        }
        // ngx.exit or an error in the entry thread ends every light thread.
        killAll()
        return false
    }

    private func ended(_ id: Int, _ outcome: LuaThread.Outcome) {
        live[id] = nil
        switch outcome {
        case .exited(let code):
            // ngx.exit in a light thread ends the whole request or timer.
            killAll()
            if let held = heldEntry {
                heldEntry = nil
                LuaTimerHeap.post { held.entry.report(.exited(code)) }
            } else if let e = context.entry {
                LuaTimerHeap.post { e.terminate(.exited(code)) }
            }
            return
        case .failed(let msg):
            // The runner catches errors; this is a failure of the runner itself.
            context.log(.error, "lua user thread aborted: runtime error: \(msg)")
        case .finished:
            break
        }
        wakeWaiters(for: id)
        if live.isEmpty, let held = heldEntry {
            heldEntry = nil
            LuaTimerHeap.post { held.entry.report(held.outcome) }
        }
    }

    /// Resumes the thread waiting for `id` (if any) with the id.
    func wakeWaiters(for id: Int) {
        guard let i = waiters.firstIndex(where: { $0.ids.contains(id) }) else { return }
        let w = waiters.remove(at: i)
        LuaTimerHeap.post {
            w.thread.resume { co in
                lua_pushinteger(co, id)
                return 1
            }
        }
    }

    /// Makes `t` wait until one of `ids` ends.
    func wait(_ t: LuaThread, ids: Set<Int>) {
        waiters.append((t, ids))
    }

    /// `ngx.thread.kill`: stops a live thread; false if it is not alive.
    func kill(_ id: Int) -> Bool {
        guard let t = live.removeValue(forKey: id) else { return false }
        t.abandon()
        waiters.removeAll { $0.thread === t }
        if live.isEmpty, let held = heldEntry {
            heldEntry = nil
            LuaTimerHeap.post { held.entry.report(held.outcome) }
        }
        return true
    }

    /// Whether `id` is a live thread of this context.
    func isLive(_ id: Int) -> Bool { live[id] != nil }

    /// Ends every light thread (entry thread done with ngx.exit or an error, request gone).
    func killAll() {
        let all = live.values
        live = [:]
        waiters = []
        for t in all { t.abandon() }
    }
}
