import MoongateCore
import NIOCore
import NIOSSL
import NIOTLS

extension HTTPConnection {
    /// Notes the end of the TLS handshake (for the log lines below).
    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? TLSUserEvent, case .handshakeCompleted = e { tls?.handshakeDone = true }
        context.fireUserInboundEventTriggered(event)
    }

    /// nginx's ngx_ssl_connection_error for a client connection: an [info] line, with
    /// "while SSL handshaking" until the handshake completed.
    func logTLSError(_ error: Error) {
        guard serverLog.enabled(.info) else { return }
        let handshaking = tls?.handshakeDone != true
        let host = listen.listen.host == "*" ? "0.0.0.0" : listen.listen.host
        let what: String
        if error is TLSHandshakeRejected {
            what = "handshake rejected"
        } else if case NIOSSLError.uncleanShutdown = error {
            what = handshaking ? "peer closed connection in SSL handshake" : "peer closed connection in SSL"
        } else {
            what = (handshaking ? "SSL_do_handshake()" : "SSL_read()") + " failed (SSL: \(TLSClient.errorText(error)))"
        }
        serverLog.log(
            .info, what + (handshaking ? " while SSL handshaking" : ""), connection: number,
            context: ", client: \(remoteAddress), server: \(host):\(listen.listen.port)")
    }
}
