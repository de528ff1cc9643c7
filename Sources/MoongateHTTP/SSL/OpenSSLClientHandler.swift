import CMoongate
import NIOCore
import NIOTLS

#if canImport(Glibc)
import Glibc
#endif

/// A failed client TLS connection, with nginx's text: the call that failed and
/// OpenSSL's error queue ("SSL_do_handshake() failed (SSL: error:0A00010B:...)").
public struct TLSClientError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Client TLS on OpenSSL's libssl, the library nginx uses, driven over memory BIOs:
/// ciphertext from the socket is fed in, plaintext goes on to the next handler, and
/// what OpenSSL writes goes out to the socket. Unlike NIOSSL it can resume a session
/// (`sslhandshake(reused_session)`, `proxy_ssl_session_reuse`) and request OCSP
/// stapling; errors read as OpenSSL's.
final class OpenSSLClientHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        case idle
        case handshaking
        case active
        case closed
    }

    private let client: OpaquePointer
    private let info: TLSSessionInfo
    private var state = State.idle
    private var held: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    private var heldFlush = false
    private var serial: Int32 = 0
    /// The handler above asked for a read (a cosocket with autoRead off) and got no
    /// plaintext yet: ciphertext that decrypts to nothing must not end the read.
    private var readWanted = false
    /// OpenSSL's error text of the last failed call.
    private var err = [CChar](repeating: 0, count: 512)
    /// Called with each new session the peer sends (its own reference, freed by the
    /// callee with mg_tls_session_free), as nginx's save_session.
    var onSession: ((UnsafeMutableRawPointer) -> Void)?

    init(client: OpaquePointer, info: TLSSessionInfo) {
        self.client = client
        self.info = info
    }

    deinit { mg_tls_client_free(client) }

    /// The session to resume with later (a reference the caller frees), or nil.
    func session() -> UnsafeMutableRawPointer? { mg_tls_get1_session(client) }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard state == .idle else { return }
        state = .handshaking
        handshake(context)
    }

    private func handshake(_ context: ChannelHandlerContext) {
        let rc = mg_tls_handshake(client, &err, 512)
        sendOutput(context, promise: nil)
        context.flush()
        switch rc {
        case 1:
            state = .active
            completed(context)
        case 0:
            // More of the peer's flight is needed: read on, whether or not the channel
            // reads by itself (cosockets read only when asked).
            context.read()
        case -2:
            fail(context, TLSClientError(message: "peer closed connection in SSL handshake"))
        default:
            fail(context, TLSClientError(message: "SSL_do_handshake() failed" + String(cString: err)))
        }
    }

    private func completed(_ context: ChannelHandlerContext) {
        info.resumed = mg_tls_reused(client) != 0
        info.handshakeDone = true
        info.clientProtocol = mg_tls_version(client).map { String(cString: $0) }
        info.clientCipher = mg_tls_cipher(client).map { String(cString: $0) }
        var chain: [[UInt8]] = []
        for i in 0..<mg_tls_peer_count(client) {
            var len = 0
            guard let der = mg_tls_peer_der(client, i, &len) else { continue }
            chain.append(Array(UnsafeBufferPointer(start: der, count: len)))
            free(der)
        }
        info.peerChain = chain
        noteSession()
        context.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: nil))
        let pending = held
        held = []
        for (b, p) in pending { encrypt(context, b, promise: p) }
        if heldFlush || !pending.isEmpty {
            heldFlush = false
            context.flush()
        }
        readPlain(context)
    }

    private func noteSession() {
        let s = mg_tls_session_serial(client)
        guard s != serial else { return }
        serial = s
        if let cb = onSession, let sess = mg_tls_get1_session(client) { cb(sess) }
    }

    private func fail(_ context: ChannelHandlerContext, _ error: TLSClientError) {
        guard state != .closed else { return }
        state = .closed
        failHeld(ChannelError.ioOnClosedChannel)
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }

    private func failHeld(_ error: Error) {
        let pending = held
        held = []
        for (_, p) in pending { p?.fail(error) }
    }

    /// Moves what OpenSSL wrote to the socket (not flushed).
    private func sendOutput(_ context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        var n = mg_tls_pending(client)
        guard n > 0 else {
            promise?.succeed(())
            return
        }
        var out = context.channel.allocator.buffer(capacity: n)
        while n > 0 {
            let got = out.writeWithUnsafeMutableBytes(minimumWritableBytes: n) { p in
                mg_tls_take(client, p.baseAddress!.assumingMemoryBound(to: UInt8.self), p.count)
            }
            if got == 0 { break }
            n = mg_tls_pending(client)
        }
        context.write(wrapOutboundOut(out), promise: promise)
    }

    private func readPlain(_ context: ChannelHandlerContext) {
        var any = false
        while state == .active {
            // Plaintext is never more than what OpenSSL holds; nothing held, nothing to read.
            let room = min(mg_tls_buffered(client), 16384)
            var rc: Int32 = 0
            if room > 0 {
                var b = context.channel.allocator.buffer(capacity: room)
                b.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { p in
                    rc = mg_tls_read(client, p.baseAddress!.assumingMemoryBound(to: UInt8.self), room, &err, 512)
                    return rc > 0 ? Int(rc) : 0
                }
                // A ticket read on the way is saved before the data goes on (whoever
                // reads it may close the connection).
                noteSession()
                if rc > 0 {
                    any = true
                    // Satisfied; the reader may ask again while handling this.
                    readWanted = false
                    context.fireChannelRead(wrapInboundOut(b))
                    continue
                }
            }
            if mg_tls_pending(client) > 0 {
                sendOutput(context, promise: nil)
                context.flush()
            }
            if rc == -1 {
                // close_notify: answer it and close, as NIOSSL did.
                if any { context.fireChannelReadComplete() }
                any = false
                closeTLS(context, mode: .all, promise: nil)
            } else if rc == -2 {
                if any { context.fireChannelReadComplete() }
                any = false
                fail(context, TLSClientError(message: String(cString: err)))
            }
            break
        }
        if any {
            context.fireChannelReadComplete()
        } else if readWanted && state == .active {
            // A partial record: the reader still waits, so read again for it.
            context.read()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var b = unwrapInboundIn(data)
        guard state == .handshaking || state == .active else { return }
        let ok = b.withUnsafeReadableBytes { p in
            p.isEmpty || mg_tls_feed(client, p.baseAddress!.assumingMemoryBound(to: UInt8.self), p.count) == 0
        }
        b.moveReaderIndex(forwardBy: b.readableBytes)
        guard ok else {
            fail(context, TLSClientError(message: "SSL_read() failed"))
            return
        }
        if state == .handshaking {
            handshake(context)
        } else {
            readPlain(context)
        }
    }

    func read(context: ChannelHandlerContext) {
        readWanted = true
        context.read()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Plaintext reads end with their own readComplete (readPlain).
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        failHeld(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    private func encrypt(_ context: ChannelHandlerContext, _ b: ByteBuffer, promise: EventLoopPromise<Void>?) {
        let rc = b.withUnsafeReadableBytes { p in
            p.isEmpty ? 0 : mg_tls_write(client, p.baseAddress!.assumingMemoryBound(to: UInt8.self), p.count, &err, 512)
        }
        if rc != 0 {
            let e = TLSClientError(message: String(cString: err))
            promise?.fail(e)
            fail(context, e)
            return
        }
        sendOutput(context, promise: promise)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let b = unwrapOutboundIn(data)
        switch state {
        case .active: encrypt(context, b, promise: promise)
        case .idle, .handshaking: held.append((b, promise))
        case .closed: promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    func flush(context: ChannelHandlerContext) {
        if state == .active || state == .closed {
            context.flush()
        } else {
            heldFlush = true
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        closeTLS(context, mode: mode, promise: promise)
    }

    private func closeTLS(_ context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if state == .active, mode != .input {
            // close_notify goes out first (nginx's ngx_ssl_shutdown), unanswered.
            mg_tls_shutdown(client)
            sendOutput(context, promise: nil)
            context.flush()
        }
        if mode == .all { state = .closed }
        failHeld(ChannelError.ioOnClosedChannel)
        context.close(mode: mode, promise: promise)
    }
}
