import CLuaJIT
import MoongateCore
import MoongateHTTP
import NIOCore

extension LuaTCPSocket {
    /// How `sslhandshake` starts: done at once (the connection already speaks TLS),
    /// parked (the thread is resumed with `1` or `nil, err`), or an error.
    enum HandshakeStart {
        case done
        case again
        case failed(String)
    }

    /// `tcpsock:sslhandshake`: TLS over the connected channel, SNI from `serverName`,
    /// then the peer's chain checked when `verify` (lua_ssl_trusted_certificate,
    /// lua_ssl_verify_depth). Failure closes the connection, as in ngx_lua.
    func sslHandshake(
        serverName: String?, verify: Bool, session: UnsafeMutableRawPointer?, statusRequest: Bool,
        conf: LuaMainConf, thread: LuaThread
    ) -> HandshakeStart {
        if bodyStream || rawStream { return .failed("not supported for downstream sockets") }
        guard let ch = channel, let h = handler, ch.isActive else { return .failed("closed") }
        if busyConnecting { return .failed("socket busy connecting") }
        if reader != nil { return .failed("socket busy reading") }
        if busyWriting { return .failed("socket busy writing") }
        if h.tls != nil { return .done }
        let info = TLSSessionInfo()
        // Reads go through the pipeline (the TLS handler) from now on.
        h.plain = false
        recyclable = false
        do {
            // ngx_lua 0.10.23's lua_ssl_protocols default has no TLSv1.3.
            let settings = TLSClient.Settings(
                protocols: conf.sslProtocols ?? ["TLSv1", "TLSv1.1", "TLSv1.2"], ciphers: conf.sslCiphers)
            try TLSClient.add(
                to: ch, before: h, settings: settings, serverName: serverName, info: info, session: session,
                statusRequest: statusRequest)
        } catch {
            return .failed("failed to create ssl connection")
        }
        h.tls = info
        busyConnecting = true
        var finished = false
        let timer =
            connectTimeout > 0
            ? LuaTimerHeap.add(ms: connectTimeout) { [weak self] in
                guard !finished else { return }
                finished = true
                h.handshakeWaiter = nil
                self?.busyConnecting = false
                // ngx_lua returns "timeout" here without a log line.
                self?.closeChannel()
                LuaTCPSocket.fail(thread, "timeout")
            } : nil
        h.handshakeWaiter = { [weak self] end in
            guard !finished else { return }
            finished = true
            timer?.cancel()
            CachedTime.update()
            self?.busyConnecting = false
            var e: String? = nil
            if case .failed(let cause) = end {
                e = "handshake failed"
                if self?.logErrors == true {
                    // ngx_ssl_handshake's lines.
                    thread.context.log(.error, TLSClient.handshakeFailure(cause))
                }
            }
            if e == nil && verify {
                e = TLSClient.verify(
                    info, trusted: conf.sslTrustedCertificate, depth: conf.sslVerifyDepth, host: serverName)
                if let e, self?.logErrors == true {
                    if e == "certificate host mismatch" {
                        thread.context.log(.error, "lua ssl certificate does not match host \"\(serverName ?? "")\"")
                    } else {
                        thread.context.log(.error, "lua ssl certificate verify error: (\(e))")
                    }
                }
            }
            if let e {
                self?.closeChannel()
                LuaTCPSocket.fail(thread, e)
                return
            }
            thread.resume { co in
                lua_pushinteger(co, 1)
                return 1
            }
        }
        // The handshake reads the peer (NIOSSL asks for more reads itself until done).
        h.requestRead(ch)
        return .again
    }

    /// The session of the connection's TLS, to resume with later (a reference for
    /// the caller), or nil.
    func sslSession() -> UnsafeMutableRawPointer? { handler?.tls?.clientSession() }
}
