import NIOCore
import NIOPosix
import NIOTLS
import MoongateCore
import MoongateHTTP
#if canImport(Glibc)
import Glibc
#endif

/// Receives a cosocket's bytes and end of stream and hands them to its owner: the
/// socket in use, or the keepalive pool while the connection idles. The channel reads
/// only when asked (autoRead off, as ngx_lua reads only inside `receive*`): the kernel's
/// socket buffer holds back a peer that sends faster than Lua reads.
final class LuaTCPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    /// What the connection's events go to. Not a weak reference (a side table per socket
    /// and per parked connection): every owner clears it before it goes away (see the
    /// deinits of LuaTCPSocket and LuaConnectionPool.Idle).
    unowned(unsafe) var owner: LuaTCPEvents?
    /// The TLS session once `sslhandshake` added TLS (it stays with the connection in the pool).
    var tls: TLSSessionInfo?
    /// The socket under the channel for direct sends (`LuaTCPSocket.trySendNow`): -2 not
    /// looked up yet, -1 not usable (stays with the connection in the pool).
    var fd: CInt = -2
    /// Told how a TLS handshake in progress ended: nil, or what failed (nil error:
    /// the peer closed).
    var handshakeWaiter: ((HandshakeEnd) -> Void)?

    enum HandshakeEnd {
        case done
        case failed(Error?)
    }

    private func endHandshake(_ end: HandshakeEnd) {
        guard let w = handshakeWaiter else { return }
        handshakeWaiter = nil
        w(end)
    }

    /// A `read()` was asked for and its bytes (or end of stream) did not come yet.
    private(set) var readRequested = false

    /// No handler but this one in the pipeline (no TLS added): a read goes straight to
    /// the channel's core, as the pipeline's head handler would send it (`channel.read()`
    /// walks the pipeline from its tail: ~900 instructions per request).
    var plain = true

    /// Asks the channel for one more read, unless one is pending already.
    func requestRead(_ channel: Channel) {
        guard !readRequested else { return }
        readRequested = true
        if plain {
            channel._channelCore.read0()
        } else {
            channel.read()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // The time the reply arrived, as nginx's cached time after the event (ngx.now()).
        CachedTime.refresh()
        readRequested = false
        let b = unwrapInboundIn(data)
        owner?.received(b)
    }

    /// The last handler: nothing after it (the pipeline's tail) wants the event, so it
    /// is not forwarded (~120 instructions per read).
    func channelReadComplete(context: ChannelHandlerContext) {}

    /// The connection's place among the worker's connections (see ConnectionSlot).
    var slot: ConnectionSlot?

    func channelInactive(context: ChannelHandlerContext) {
        slot?.release()
        endHandshake(.failed(nil))
        owner?.closedByPeer(error: nil)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? TLSUserEvent, case .handshakeCompleted = e {
            endHandshake(.done)
        }
        if let e = event as? ChannelEvent, e == .inputClosed {
            owner?.closedByPeer(error: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if handshakeWaiter != nil {
            endHandshake(.failed(error))
            context.close(promise: nil)
            return
        }
        owner?.closedByPeer(error: LuaSocketError.message(for: error))
        context.close(promise: nil)
    }
}

/// Receiver of a cosocket connection's events.
protocol LuaTCPEvents: AnyObject {
    func received(_ b: ByteBuffer)
    func closedByPeer(error: String?)
}

/// ngx_lua's socket error strings.
enum LuaSocketError {
    /// The lower-case strerror text ngx_lua reports, or "closed".
    static func message(for error: Error) -> String {
        if let e = error as? IOError { return strerrorText(e.errnoCode) }
        if let e = error as? NIOConnectionError {
            if let first = e.connectionErrors.first { return message(for: first.error) }
            if let d = e.dnsAAAAError ?? e.dnsAError { return message(for: d) }
            return "connection refused"
        }
        if let e = error as? ChannelError {
            switch e {
            case .connectTimeout: return "timeout"
            case .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed, .eof: return "closed"
            default: return "\(e)"
            }
        }
        return "\(error)"
    }

    /// `strerror(code)` with a lower-case first letter, as ngx_lua prints it.
    static func strerrorText(_ code: Int32) -> String {
        guard let p = strerror(code) else { return "error \(code)" }
        let s = String(cString: p)
        return s.prefix(1).lowercased() + s.dropFirst()
    }
}
