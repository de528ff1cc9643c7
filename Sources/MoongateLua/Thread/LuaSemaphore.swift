import CLuaJIT
import MoongateCore
#if canImport(Glibc)
import Glibc
#endif

/// `ngx.semaphore` (ngx_http_lua_semaphore.c): a count of resources and a FIFO of
/// threads waiting for one, each with a timeout in the timer heap.
final class LuaSemaphore {
    final class Waiter {
        let thread: LuaThread
        var timeout: LuaTimerEntry?
        init(thread: LuaThread) { self.thread = thread }
    }

    var resources: Int
    private(set) var waiters: [Waiter] = []
    private var wakePosted = false

    init(resources: Int) { self.resources = resources }

    /// ngx_lua's count: resources minus waiting threads.
    var count: Int { resources - waiters.count }

    /// Adds `n` resources and wakes waiters (on the next loop turn, as ngx_lua posts).
    func post(_ n: Int) {
        resources += n
        guard !waiters.isEmpty, !wakePosted else { return }
        wakePosted = true
        LuaTimerHeap.post { [self] in
            wakePosted = false
            while resources > 0, !waiters.isEmpty {
                let w = waiters.removeFirst()
                w.timeout?.cancel()
                guard w.thread.state == .yielded else { continue }
                resources -= 1
                w.thread.resume { co in
                    lua_pushboolean(co, 1)
                    lua_pushnil(co)
                    return 2
                }
            }
        }
    }

    /// Queues `thread` for up to `ms` milliseconds.
    func enqueue(_ thread: LuaThread, ms: Int) {
        let w = Waiter(thread: thread)
        waiters.append(w)
        w.timeout = LuaTimerHeap.add(ms: ms) { [weak self, weak w] in
            guard let self, let w, let i = self.waiters.firstIndex(where: { $0 === w }) else { return }
            self.waiters.remove(at: i)
            w.thread.resume { co in
                lua_pushboolean(co, 0)
                lua_pushstring(co, "timeout")
                return 2
            }
        }
    }
}

/// `int mg_sema_new(void **psem, int n, char **err)`.
@_cdecl("mg_sema_new")
public func mg_sema_new(_ psem: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ n: Int32, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    let s = LuaSemaphore(resources: Int(n))
    psem?.pointee = Unmanaged.passRetained(s).toOpaque()
    return FFI.ok
}

/// `void mg_sema_gc(void *sem)`: the Lua object was collected.
@_cdecl("mg_sema_gc")
public func mg_sema_gc(_ p: UnsafeMutableRawPointer?) {
    guard let p else { return }
    Unmanaged<LuaSemaphore>.fromOpaque(p).release()
}

/// `int mg_sema_post(void *sem, int n)`.
@_cdecl("mg_sema_post")
public func mg_sema_post(_ p: UnsafeMutableRawPointer?, _ n: Int32) -> Int32 {
    guard let p else { return FFI.error }
    Unmanaged<LuaSemaphore>.fromOpaque(p).takeUnretainedValue().post(Int(n))
    return FFI.ok
}

/// `int mg_sema_count(void *sem)`.
@_cdecl("mg_sema_count")
public func mg_sema_count(_ p: UnsafeMutableRawPointer?) -> Int32 {
    guard let p else { return 0 }
    return Int32(Unmanaged<LuaSemaphore>.fromOpaque(p).takeUnretainedValue().count)
}

/// `int mg_sema_wait(void *sem, int ms, char **err)`: 0 got one, -5 timeout without
/// waiting (`ms == 0`), -2 the caller yields and is resumed with `true, nil` or
/// `false, "timeout"`, -1/-100/-101 with an error.
@_cdecl("mg_sema_wait")
public func mg_sema_wait(_ p: UnsafeMutableRawPointer?, _ ms: Int32, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    guard let p else { return FFI.error }
    guard let ctx = LuaRuntime.current else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    let allowed: LuaPhase = [.rewrite, .access, .content, .timer, .serverRewrite, .precontent, .sslCert]
    guard allowed.contains(ctx.phase) else {
        FFIError.set(err, "API disabled in the context of \(ctx.phase.contextName)")
        return FFI.error
    }
    let s = Unmanaged<LuaSemaphore>.fromOpaque(p).takeUnretainedValue()
    // Waiters first: a post with waiters queued goes to them, in order.
    if s.resources > 0 && s.waiters.isEmpty {
        s.resources -= 1
        return FFI.ok
    }
    if ms <= 0 { return FFI.declined }
    guard let thread = LuaThread.running else {
        FFIError.set(err, "no thread")
        return FFI.error
    }
    s.enqueue(thread, ms: Int(ms))
    return FFI.again
}
