import CLuaJIT
import MoongateCore
#if canImport(Glibc)
import Glibc
#endif

// ngx.thread.spawn / wait / kill and ngx.on_abort (ngx_http_lua_uthread.c,
// ngx_http_lua_coroutine.c). The Lua half is lua/resty/core/thread.lua.

/// Phases where light threads may be spawned, waited for and killed.
let lightThreadPhases: LuaPhase = [.rewrite, .access, .content, .timer, .serverRewrite, .precontent, .sslCert]

/// `int mg_thread_spawn(int id, char **err)`: -2 and the caller yields; the new thread
/// starts right after and runs until it first waits, then the caller resumes.
@_cdecl("mg_thread_spawn")
public func mg_thread_spawn(_ id: Int32, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    guard let ctx = LuaRuntime.current else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    guard lightThreadPhases.contains(ctx.phase) else {
        FFIError.set(err, "API disabled in the context of \(ctx.phase.contextName)")
        return FFI.badContext
    }
    guard let parent = LuaThread.running, let rt = ctx.runtime,
        let runner = LuaModuleRef.function(rt, module: "resty.core.thread", field: "run")
    else {
        FFIError.set(err, "no thread to spawn from")
        return FFI.error
    }
    let lt = LuaLightThreads.of(ctx)
    // Start the child only once the parent has yielded: resuming another coroutine from
    // inside an FFI call would re-enter the VM under a JIT trace.
    parent.resume { _ in
        lt.spawn(id: Int(id), runtime: rt, runner: runner)
        return 0
    }
    return FFI.again
}

/// `int mg_thread_wait(const int *ids, int n, char **err)`: -2 and the caller yields
/// until one of the threads ends; it is resumed with that thread's id.
@_cdecl("mg_thread_wait")
public func mg_thread_wait(_ ids: UnsafePointer<Int32>?, _ n: Int32, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    guard let ctx = LuaRuntime.current else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    guard lightThreadPhases.contains(ctx.phase) else {
        FFIError.set(err, "API disabled in the context of \(ctx.phase.contextName)")
        return FFI.badContext
    }
    guard let me = LuaThread.running, let ids, n > 0 else {
        FFIError.set(err, "nothing to wait for")
        return FFI.error
    }
    let lt = LuaLightThreads.of(ctx)
    let set = Set((0..<Int(n)).map { Int(ids[$0]) })
    lt.wait(me, ids: set)
    return FFI.again
}

/// `int mg_thread_kill(int id)`: 0 killed, -5 not running.
@_cdecl("mg_thread_kill")
public func mg_thread_kill(_ id: Int32) -> Int32 {
    guard let ctx = LuaRuntime.current, let lt = ctx.lightThreads else { return FFI.declined }
    return lt.kill(Int(id)) ? FFI.ok : FFI.declined
}

/// `int mg_thread_check(char **err)`: ngx_lua's context check for the thread APIs.
@_cdecl("mg_thread_check")
public func mg_thread_check(_ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    guard let ctx = LuaRuntime.current else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    guard lightThreadPhases.contains(ctx.phase) else {
        FFIError.set(err, "API disabled in the context of \(ctx.phase.contextName)")
        return FFI.badContext
    }
    return FFI.ok
}
