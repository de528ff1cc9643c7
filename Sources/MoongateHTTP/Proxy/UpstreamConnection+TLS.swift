import NIOCore
import NIOTLS

extension UpstreamConnection {
    /// Opens a connection and, with `tls`, runs the TLS handshake on it within the same
    /// connect timeout, then checks the peer's certificate when `proxy_ssl_verify` is on
    /// (nginx's ngx_http_upstream_ssl_init_connection and ssl_handshake).
    static func connect(
        on loop: EventLoop, host: String, port: Int, peerName: String, timeoutMs: Int,
        localAddress: SocketAddress? = nil, tls: UpstreamTLS?
    ) -> EventLoopFuture<UpstreamConnection> {
        let plain = connect(
            on: loop, host: host, port: port, peerName: peerName, timeoutMs: timeoutMs, localAddress: localAddress)
        guard let tls else { return plain }
        return plain.flatMap { conn in
            conn.directFD = -1  // TLS bytes go through the pipeline's handler, never direct
            let info = TLSSessionInfo()
            let promise = loop.makePromise(of: Void.self)
            do {
                let ops = conn.channel.pipeline.syncOperations
                let upstream = try ops.handler(type: UpstreamChannelHandler.self)
                upstream.plain = false
                let waiter = UpstreamTLSWaiter(promise: promise)
                try ops.addHandler(waiter, position: .before(upstream))
                // nginx's proxy_ssl_session_reuse: the peer's last session is offered,
                // and each new one it sends replaces it.
                let key = peerName + tls.poolKey
                let saved = tls.sessionReuse ? TLSClientSession.saved(for: key) : nil
                try TLSClient.add(
                    to: conn.channel, before: waiter, settings: tls.settings, serverName: tls.serverName, info: info,
                    session: saved?.pointer,
                    onSession: tls.sessionReuse ? { TLSClientSession.save($0, for: key) } : nil)
            } catch {
                conn.close()
                return loop.makeFailedFuture(
                    UpstreamTLSError(message: "failed to create ssl connection", timeout: false))
            }
            let timer = loop.scheduleTask(in: .milliseconds(Int64(max(1, timeoutMs)))) {
                promise.fail(
                    UpstreamTLSError(message: "upstream timed out (110: Connection timed out)", timeout: true))
            }
            return promise.futureResult.flatMapThrowing { () -> UpstreamConnection in
                timer.cancel()
                if tls.verify, let e = TLSClient.verify(info, trusted: tls.trusted, depth: tls.depth, host: tls.name) {
                    conn.close()
                    if e == "certificate host mismatch" {
                        throw UpstreamTLSError(
                            message: "upstream SSL certificate does not match \"\(tls.name)\"", timeout: false)
                    }
                    // nginx prints "(20:unable to get ...)", without ngx_lua's space.
                    let compact = e.replacingFirst(": ", with: ":")
                    throw UpstreamTLSError(
                        message: "upstream SSL certificate verify error: (\(compact))", timeout: false)
                }
                return conn
            }.flatMapErrorThrowing { error in
                timer.cancel()
                conn.close()
                throw error
            }
        }
    }
}

/// Waits, between the TLS handler and the upstream handler, for the handshake to end.
final class UpstreamTLSWaiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var promise: EventLoopPromise<Void>?

    init(promise: EventLoopPromise<Void>) { self.promise = promise }

    private func end(_ error: UpstreamTLSError?) {
        guard let p = promise else { return }
        promise = nil
        if let error { p.fail(error) } else { p.succeed(()) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? TLSUserEvent, case .handshakeCompleted = e {
            end(nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        end(UpstreamTLSError(message: TLSClient.handshakeFailure(error), timeout: false))
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        end(UpstreamTLSError(message: "peer closed connection in SSL handshake", timeout: false))
        context.fireChannelInactive()
    }
}

extension String {
    /// The string with the first `a` replaced by `b`.
    func replacingFirst(_ a: String, with b: String) -> String {
        let s = Array(utf8)
        let n = Array(a.utf8)
        guard !n.isEmpty, s.count >= n.count else { return self }
        for i in 0...(s.count - n.count) where Array(s[i..<(i + n.count)]) == n {
            return String(decoding: s[..<i], as: UTF8.self) + b + String(decoding: s[(i + n.count)...], as: UTF8.self)
        }
        return self
    }
}
