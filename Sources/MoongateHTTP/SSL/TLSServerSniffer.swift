import NIOCore
import NIOSSL
import NIOTLS

/// First handler of a connection on a `listen ... ssl` socket (nginx's
/// ngx_http_ssl_handshake): a first byte that starts a TLS record (0x16) or an SSLv2
/// hello (0x80 bit) brings in the SNI reader and the TLS handler of the server the name
/// picks; anything else goes on as plain HTTP, which the connection answers with 497.
final class TLSServerSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let group: ListenGroup
    unowned let connection: HTTPConnection

    init(group: ListenGroup, connection: HTTPConnection) {
        self.group = group
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let b = unwrapInboundIn(data)
        guard let first = b.getInteger(at: b.readerIndex, as: UInt8.self) else { return }
        let ops = context.pipeline.syncOperations
        if first == 0x16 || first & 0x80 != 0 {
            let info = TLSSessionInfo()
            info.clientSessionID = ServerHelloSniffer.clientSessionID(b)
            connection.tls = info
            let group = self.group
            let conn = self.connection
            let channel = context.channel
            let sni = ByteToMessageHandler(
                SNIHandler { result in
                    var name: String? = nil
                    if case .hostname(let h) = result { name = h.lowercased() }
                    info.serverName = name
                    guard let ctx = TLSServerSniffer.context(for: name, in: group) else {
                        // ssl_reject_handshake: nginx's fatal unrecognized_name alert.
                        conn.logTLSError(TLSHandshakeRejected())
                        var alert = channel.allocator.buffer(capacity: 7)
                        alert.writeBytes([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x70])
                        channel.writeAndFlush(alert).whenComplete { _ in channel.close(promise: nil) }
                        return channel.eventLoop.makeFailedFuture(ChannelError.inputClosed)
                    }
                    do {
                        let ssl = NIOSSLServerHandler(context: ctx)
                        info.handler = ssl
                        let ops = channel.pipeline.syncOperations
                        try ops.addHandler(ssl, position: .before(conn))
                        try ops.addHandler(ServerHelloSniffer(info: info, outbound: true), position: .first)
                    } catch {
                        return channel.eventLoop.makeFailedFuture(error)
                    }
                    return channel.eventLoop.makeSucceededVoidFuture()
                })
            do {
                try ops.addHandler(sni, position: .after(self))
            } catch {
                context.close(promise: nil)
                return
            }
        }
        context.fireChannelRead(data)
        ops.removeHandler(context: context, promise: nil)
    }

    /// The TLS context of the server `name` selects on this address, else the default
    /// server's (nginx's ngx_http_ssl_servername); nil when that server rejects handshakes.
    static func context(for name: String?, in group: ListenGroup) -> NIOSSLContext? {
        if let name, !name.isEmpty {
            let s = group.findServer(host: name)
            if s.ssl.rejectHandshake == true { return nil }
            if let ctx = s.ssl.context { return ctx }
        }
        let d = group.defaultServer
        return d.ssl.rejectHandshake == true ? nil : d.ssl.context
    }
}

/// A handshake refused by `ssl_reject_handshake`.
struct TLSHandshakeRejected: Error {}
