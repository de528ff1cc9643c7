import CLuaJIT
import MoongateCore
import MoongateHTTP
#if canImport(Glibc)
import Glibc
#endif

// ngx.log / print, ngx.sleep, ngx.worker.*, ngx.config.*, ngx.process.

/// `int mg_log(int level, const unsigned char *msg, size_t len)`: one error-log line with
/// the request context appended, as ngx_lua's `ngx.log`.
@_cdecl("mg_log")
public func mg_log(_ level: Int32, _ msg: UnsafePointer<UInt8>?, _ len: Int) -> Int32 {
    guard let l = LogLevel(rawValue: Int(level)) else { return FFI.error }
    let log = LuaRuntime.current?.request?.errorLog ?? ErrorLog.shared
    guard l == .stderr || log.enabled(l) else { return FFI.ok }
    let m = logString(msg, len)
    if let ctx = LuaRuntime.current {
        if let r = ctx.request {
            // nginx's log->action during the log phase.
            let action = ctx.phase == .log ? " while logging request" : ""
            log.log(l, m + action, connection: r.connection.number, context: r.logContext)
        } else {
            ctx.log(l, m)
        }
    } else {
        log.log(l, m)
    }
    return FFI.ok
}

/// A Lua string for the error log: nginx writes its bytes as they are, invalid UTF-8 too.
private func logString(_ msg: UnsafePointer<UInt8>?, _ len: Int) -> String {
    guard let msg, len > 0 else { return "" }
    return LogBytes.string(UnsafeBufferPointer(start: msg, count: len))
}

/// `int mg_log_level(void)`: the error log's level (`ngx.errlog.get_sys_filter_level`):
/// the most verbose of the request's log chain (its location's `error_log`s), as ngx_lua
/// reads `r->connection->log->log_level`.
@_cdecl("mg_log_level")
public func mg_log_level() -> Int32 {
    Int32((LuaRuntime.current?.request?.errorLog ?? ErrorLog.shared).chainLevel.rawValue)
}

/// `int mg_raw_log(int level, const unsigned char *msg, size_t len)`: no context, no prefix.
@_cdecl("mg_raw_log")
public func mg_raw_log(_ level: Int32, _ msg: UnsafePointer<UInt8>?, _ len: Int) -> Int32 {
    guard let l = LogLevel(rawValue: Int(level)) else { return FFI.error }
    if let r = LuaRuntime.current?.request {
        // The connection's log, as ngx_lua uses r->connection->log.
        r.errorLog.log(l, logString(msg, len), connection: r.connection.number, context: r.logContext)
    } else {
        ErrorLog.shared.log(l, logString(msg, len))
    }
    return FFI.ok
}

/// `int mg_sleep(int ms, const char **err)`: -2, then the caller yields; resumed after `ms`.
@_cdecl("mg_sleep")
public func mg_sleep(_ ms: Int32, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    // init_by_lua has no (fake) request in ngx_lua.
    guard let ctx = LuaRuntime.current, ctx.phase != .initPhase else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    guard LuaPhase.yieldable.contains(ctx.phase) else {
        FFIError.set(err, "API disabled in the context of \(ctx.phase.contextName)")
        return FFI.badContext
    }
    guard let thread = LuaThread.running, LuaScheduler.loop != nil else {
        FFIError.set(err, "no event loop")
        return FFI.error
    }
    LuaScheduler.after(ms: Int(ms)) {
        thread.resume { _ in 0 }
    }
    return FFI.again
}

/// `int mg_worker_info(int what)`: 0 pid, 1 id, 2 count, 3 exiting, 4 master pid.
@_cdecl("mg_worker_info")
public func mg_worker_info(_ what: Int32) -> Int32 {
    switch what {
    case 0: return getpid()
    case 1: return WorkerInfo.isMaster ? -1 : Int32(WorkerInfo.id)
    case 2: return Int32(WorkerInfo.count)
    case 3: return WorkerInfo.exiting ? 1 : 0
    case 4: return WorkerInfo.masterPid
    default: return -1
    }
}

/// `int mg_config_str(int what, const unsigned char **v, size_t *vl)`: 0 prefix,
/// 1 nginx_configure, 2 process type.
@_cdecl("mg_config_str")
public func mg_config_str(_ what: Int32, _ v: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, _ vl: UnsafeMutablePointer<Int>?) -> Int32 {
    switch what {
    case 0: FFIScratch.put(Variables.prefix, v, vl)
    case 1: FFIScratch.put("--prefix=\(Variables.prefix) --with-http_lua_module", v, vl)
    case 2: FFIScratch.put(WorkerInfo.processType, v, vl)
    default: return FFI.error
    }
    return FFI.ok
}

/// `void mg_process_signal_graceful_exit(void)`: `ngx.process.signal_graceful_exit`, a
/// QUIT to this process (workers read it from their signalfd).
@_cdecl("mg_process_signal_graceful_exit")
public func mg_process_signal_graceful_exit() {
    kill(getpid(), SIGQUIT)
}
