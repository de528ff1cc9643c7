import CLuaJIT
import MoongateCore
import NIOCore

/// The worker's event loop as the Lua side needs it (sleeps now; timers and sockets
/// build on it).
enum LuaScheduler {
    nonisolated(unsafe) static var loop: EventLoop?

    /// Runs `f` after `ms` milliseconds on the worker's loop, through the timer heap
    /// (`ms <= 0`: the ready queue, as `ngx.sleep(0)`).
    @discardableResult
    static func after(ms: Int, _ f: @escaping () -> Void) -> LuaTimerEntry? {
        if ms <= 0 {
            LuaTimerHeap.post(f)
            return nil
        }
        return LuaTimerHeap.add(ms: ms, f)
    }
}

extension LuaRuntime {
    /// After init_by_lua: writing a global from a request handler logs ngx_lua's warning.
    func lockGlobals() {
        _ = try? vm.run("require('moongate.runtime').lock_globals()", chunkName: "=lock_globals")
    }
}
