import MoongateCore
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

// tcpsock:setoption / tcpsock:getoption (ngx_http_lua_ffi_socket_tcp_setoption and
// _getoption in ngx_lua 0.10.23, with lua-resty-core's socket.lua in front).

extension LuaTCPSocket {
    /// The options by lua-resty-core's index: keepalive 1, reuseaddr 2, tcp-nodelay 3,
    /// sndbuf 4, rcvbuf 5.
    static func socketOption(_ index: Int32) -> ChannelOptions.Types.SocketOption? {
        switch index {
        case 1: return .socketOption(.so_keepalive)
        case 2: return .socketOption(.so_reuseaddr)
        case 3: return .tcpOption(.tcp_nodelay)
        case 4: return .socketOption(.so_sndbuf)
        case 5: return .socketOption(.so_rcvbuf)
        default: return nil
        }
    }

    /// The option's value, or ngx_lua's error ("closed", strerror of getsockopt).
    func getOption(_ index: Int32) -> Result<Int32, OptionError> {
        guard let ch = channel, let opts = ch.syncOptions else { return .failure(.message("closed")) }
        guard let o = LuaTCPSocket.socketOption(index) else {
            return .failure(.message("unsupported option \(index)"))
        }
        do {
            return .success(Int32(truncatingIfNeeded: try opts.getOption(o)))
        } catch {
            return .failure(.message(LuaTCPSocket.optionErrorText(error)))
        }
    }

    /// Sets the option, or ngx_lua's error.
    func setOption(_ index: Int32, _ value: Int32) -> OptionError? {
        guard let ch = channel, let opts = ch.syncOptions else { return .message("closed") }
        guard let o = LuaTCPSocket.socketOption(index) else { return .message("unsupported option \(index)") }
        do {
            try opts.setOption(o, value: Int(value))
            return nil
        } catch {
            return .message(LuaTCPSocket.optionErrorText(error))
        }
    }

    /// Why an option call failed.
    enum OptionError: Error {
        case message(String)
    }

    /// ngx_strerror's text: strerror as the C library spells it.
    static func optionErrorText(_ e: Error) -> String {
        if let code = errno(of: e), let p = strerror(code) { return String(cString: p) }
        return "\(e)"
    }
}

private func optSocket(_ p: UnsafeMutableRawPointer?) -> LuaTCPSocket? {
    guard let p else { return nil }
    return LuaTCPSocket.of(p).takeUnretainedValue()
}

/// `int mg_tcp_getoption(void *s, int opt, int *val, char **err)`: 0 with `*val`, -1 with
/// `err`, -5 when the socket was never connected (the Lua side raises).
@_cdecl("mg_tcp_getoption")
public func mg_tcp_getoption(
    _ p: UnsafeMutableRawPointer?, _ opt: Int32, _ val: UnsafeMutablePointer<Int32>?,
    _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let s = optSocket(p), s.connectCalled else { return FFI.declined }
    switch s.getOption(opt) {
    case .success(let v):
        val?.pointee = v
        return FFI.ok
    case .failure(.message(let m)):
        FFIError.set(err, m)
        return FFI.error
    }
}

/// `int mg_tcp_setoption(void *s, int opt, int val, char **err)`: 0, -1 with `err`, -5
/// when the socket was never connected.
@_cdecl("mg_tcp_setoption")
public func mg_tcp_setoption(
    _ p: UnsafeMutableRawPointer?, _ opt: Int32, _ val: Int32, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let s = optSocket(p), s.connectCalled else { return FFI.declined }
    if case .message(let m)? = s.setOption(opt, val) {
        FFIError.set(err, m)
        return FFI.error
    }
    return FFI.ok
}
