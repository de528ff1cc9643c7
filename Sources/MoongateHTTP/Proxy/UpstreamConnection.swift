import NIOCore
import NIOPosix
import MoongateCore
#if canImport(Glibc)
import Glibc
#endif

/// Who receives what an upstream connection reads.
protocol UpstreamConnectionDelegate: AnyObject {
    func upstreamRead(_ buf: inout ByteBuffer)
    func upstreamClosed()
    /// The connection can take writes again after it was full (NIO's high water mark).
    func upstreamWritable()
}

extension UpstreamConnectionDelegate {
    func upstreamWritable() {}
}

/// One TCP connection to an upstream peer, on the worker's event loop.
final class UpstreamConnection {
    let channel: Channel
    /// `ip:port` of the peer.
    let peerName: String
    /// Requests sent on this connection (keepalive_requests).
    var requests = 0
    /// Strong: the session clears it when it lets the connection go (pooled, closed, or
    /// the request ended); a closed connection drops it with its handler. A weak reference
    /// would give the session a side table (slow retains and releases all request long).
    var delegate: UpstreamConnectionDelegate?
    private(set) var closed = false
    /// The I/O timeout of the request using it, or the idle timeout while pooled: one
    /// lazily re-armed task for the connection's whole life.
    let timer: LazyTimer
    /// The pool holding it while idle: told once when the connection goes away. Cleared
    /// when the connection leaves the pool and by the pool's deinit: not weak, which would
    /// give the pool a side table (slow retains and releases at every use).
    unowned(unsafe) var idlePool: UpstreamKeepalivePool?
    /// The idle timeout's action, made once for the connection's life (not per request).
    /// Unowned: the timer holding it belongs to this connection (a weak reference would
    /// give the connection a side table). A stored property set in init: read at every
    /// put into the pool without a lazy getter's check.
    private(set) var closeAction: () -> Void = {}

    init(channel: Channel, peerName: String) {
        self.channel = channel
        self.peerName = peerName
        self.timer = LazyTimer(loop: channel.eventLoop)
        closeAction = { [unowned self] in self.close() }
    }

    /// Opens a connection with a connect timeout in milliseconds.
    static func connect(
        on loop: EventLoop, host: String, port: Int, peerName: String, timeoutMs: Int,
        localAddress: SocketAddress? = nil
    ) -> EventLoopFuture<UpstreamConnection> {
        let address: SocketAddress
        do {
            address = try SocketAddress(ipAddress: host, port: port)
        } catch {
            return loop.makeFailedFuture(error)
        }
        let handler = UpstreamChannelHandler()
        let slot = ConnectionSlot()
        handler.slot = slot
        var bootstrap = ClientBootstrap(group: loop)
        if let local = localAddress { bootstrap = bootstrap.bind(to: local) }
        return bootstrap
            .connectTimeout(.milliseconds(Int64(max(1, timeoutMs))))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { ch in ch.pipeline.addHandler(handler) }
            .connect(to: address)
            .map { ch in
                let c = UpstreamConnection(channel: ch, peerName: peerName)
                handler.connection = c
                return c
            }
            .flatMapErrorThrowing { error in
                // (No channel, or one that is closed: its place is free again.)
                slot.release()
                throw error
            }
    }

    /// Writes and flushes; `done` gets the write's result (one closure: the caller's).
    func send(_ buf: ByteBuffer, done: @escaping (Result<Void, Error>) -> Void) {
        var buf = buf
        if sendNow(&buf) {
            done(.success(()))
            return
        }
        sendQueued(buf, done: done)
    }

    /// A plain connection with nothing queued in NIO is written with one send(2): true
    /// when all of it went (the caller then runs its completion at once, as NIO runs it
    /// for a write that completes inside writeAndFlush; the promise and pipeline cost ~5k
    /// instructions). A part written leaves the rest in `buf` for `sendQueued`; a full
    /// socket or an error leaves it whole.
    func sendNow(_ buf: inout ByteBuffer) -> Bool {
        // `closed` stands for !channel.isActive (an existential call and NIO's lifecycle
        // state, ~90 instructions): the socket is never written once closed (its number
        // may be another socket's by then). NIO closes the descriptor and fires
        // channelInactive, which sets `closed` (inactive()), in one call on this loop with
        // none of our code between; our own close() sets it first. Before the connection
        // exists the channel is not ours to write (it is made once connected).
        guard directFD != -1, buf.readableBytes > 0, !closed else { return false }
        if directFD == -2 {
            directFD = HTTPConnection.socketDescriptor(channel)
        }
        guard directFD >= 0 && nioIdle() else { return false }
        let n = buf.withUnsafeReadableBytes { Glibc.send(directFD, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n == buf.readableBytes { return true }
        if n > 0 { buf.moveReaderIndex(forwardBy: n) }
        return false
    }

    /// Writes and flushes through NIO; `done` gets the write's result.
    func sendQueued(_ buf: ByteBuffer, done: @escaping (Result<Void, Error>) -> Void) {
        nioBusy = true
        let p = channel.eventLoop.makePromise(of: Void.self)
        p.futureResult.whenComplete(done)
        channel.writeAndFlush(NIOAny(buf), promise: p)
    }

    /// The socket for direct sends: -2 not looked up yet, -1 never (TLS, or not found).
    var directFD: CInt = -2
    /// NIO may hold bytes of ours not yet written (direct sends wait for it: order kept).
    private var nioBusy = false

    private func nioIdle() -> Bool {
        guard nioBusy else { return true }
        guard let opts = channel.syncOptions, (try? opts.getOption(.bufferedWritableBytes)) == 0 else { return false }
        nioBusy = false
        return true
    }

    /// Writes and flushes; `done` gets the error if the write failed.
    func sendReporting(_ buf: ByteBuffer, _ done: @escaping (Error?) -> Void) {
        nioBusy = true
        let p = channel.eventLoop.makePromise(of: Void.self)
        p.futureResult.whenComplete { r in
            switch r {
            case .success: done(nil)
            case .failure(let e): done(e)
            }
        }
        channel.writeAndFlush(NIOAny(buf), promise: p)
    }

    /// Whether writes are below NIO's high water mark (nginx's `c->write->ready`).
    var isWritable: Bool { channel.isWritable }

    /// Stops or resumes reading the upstream (backpressure from a slow client).
    func setReading(_ on: Bool) {
        guard !closed else { return }
        paused = !on
        channel.setOption(ChannelOptions.autoRead, value: on).whenComplete { _ in }
    }

    /// Reading stopped by `setReading(false)`.
    fileprivate(set) var paused = false

    func close() {
        guard !closed else { return }
        markClosed()
        channel.close(promise: nil)
    }

    fileprivate func markClosed() {
        guard !closed else { return }
        closed = true
        timer.cancel()
        let p = idlePool
        idlePool = nil
        p?.forget(self)
    }

    fileprivate func inactive() {
        let wasClosed = closed
        markClosed()
        if !wasClosed { delegate?.upstreamClosed() }
    }
}

/// Forwards channel events to the connection's current owner; an idle pooled connection
/// that receives data or closes is dropped.
final class UpstreamChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    var connection: UpstreamConnection?
    /// No handler but this one in the pipeline (no TLS added): the next read is asked of
    /// the channel's core directly.
    var plain = true
    /// The channel's core, kept when the handler is added (no channel and core getters
    /// per read). Unowned: the channel holds this handler; cleared when it goes inactive.
    unowned(unsafe) var core: ChannelCore?

    func handlerAdded(context: ChannelHandlerContext) {
        core = context.channel._channelCore
    }

    /// The connection's place among the worker's connections (see ConnectionSlot).
    var slot: ConnectionSlot?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        CachedTime.refresh()
        var buf = unwrapInboundIn(data)
        // (One reference to the connection for the whole read: asking for the next read
        // neither delivers reads nor closes, so it is the connection of this read.)
        guard let c = connection else { return }
        // The next read, asked for now as NIO asks for it after the read cycle (autoRead):
        // by the channel's core directly instead of a walk of the pipeline from its tail
        // (~400 instructions less per upstream read). Asked before the bytes are handed on, so
        // that a pause they cause (setReading(false)) stays in force, as it does when NIO
        // asks at the end; with a read pending NIO's own request is skipped.
        if plain, !c.paused {
            if let core { core.read0() } else { context.channel._channelCore.read0() }
        }
        if let d = c.delegate {
            d.upstreamRead(&buf)
        } else {
            c.close()
        }
    }

    /// Nothing to do at the end of a read cycle: not passed on to the tail (one pipeline
    /// hop less per upstream read).
    func channelReadComplete(context: ChannelHandlerContext) {}

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let c = connection { c.delegate?.upstreamWritable() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        slot?.release()
        core = nil
        connection?.inactive()
        connection?.delegate = nil
        connection = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
