import MoongateCore
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Serves the `http` block on one event loop from listening sockets the master opened.
public final class HTTPWorker {
    let cycle: CycleConfig
    let loop: EventLoop
    private var channels: [Channel] = []

    static let receiveAllocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536)

    public init(cycle: CycleConfig, loop: EventLoop) {
        self.cycle = cycle
        self.loop = loop
    }

    /// Starts accepting on the given descriptors (one per listen group, same order).
    public func start(listenFDs: [String: Int32]) {
        guard let http = cycle.http else { return }
        for group in http.listenGroups {
            guard let fd = listenFDs[group.listen.key] else { continue }
            let g = group
            let bootstrap = ServerBootstrap(group: loop)
                .serverChannelOption(.backlog, value: Int32(group.listen.backlog))
                .serverChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(AcceptFront(group: g))
                    }
                }
            bootstrap.withBoundSocket(fd).whenComplete { [weak self] result in
                switch result {
                case .success(let ch):
                    // NIO re-listens an adopted socket with its default backlog of 128, which
                    // shrinks the queue the master opened: bursts of new connections then
                    // overflow it and clients wait for SYN retransmits (1 s, 3 s, ...).
                    // listen() on a listening socket only updates the backlog.
                    _ = listen(fd, Int32(g.listen.backlog))
                    self?.channels.append(ch)
                    // A listener holds one of the worker's connections, as nginx's does.
                    WorkerConnections.take()
                case .failure(let e):
                    ErrorLog.shared.log(.emerg, "cannot accept on \(g.listen.key): \(e)")
                }
            }
        }
        loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            AccessLogFile.flushAll()
        }
    }

    /// Stops accepting; busy connections finish their request, idle ones close.
    public func stopAccepting() {
        for c in channels {
            c.close(promise: nil)
            WorkerConnections.release()
        }
        channels.removeAll()
    }
}

/// Sets up each accepted connection and hands it straight to the server channel's own
/// read (which registers and activates it), past NIO's ServerBootstrap.AcceptHandler.
///
/// Why: for each new connection the AcceptHandler applies the child options and runs
/// the child initializer through a chain of futures (applyAllChannelOptions, flatMap,
/// assumeIsolated().flatMap, whenFailure), ~12k instructions of a new connection's
/// ~68k, even with no options and an initializer that completes at once. This handler
/// sits before it (the bootstrap adds the AcceptHandler after the server channel's
/// initializer) and does the same work synchronously: the options through the child's
/// synchronous options, the handlers through its synchronous pipeline operations. It
/// then fires the connection from the context of an `AcceptBack`, a pass-through
/// handler it places after the AcceptHandler on its first read, so the next stop is
/// the pipeline's tail, which gives it to the server channel (`channelRead0`: register,
/// then `becomeActive`), as the AcceptHandler would have. The AcceptHandler stays in
/// the pipeline and still handles what else comes (quiesce events, errors).
final class AcceptFront: ChannelInboundHandler {
    typealias InboundIn = Channel
    typealias InboundOut = Channel

    private let group: ListenGroup
    private var back: ChannelHandlerContext?

    init(group: ListenGroup) {
        self.group = group
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        back = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let channel = Self.unwrapInboundIn(data)
        // The AcceptHandler's check: a connection accepted while the listener closes
        // is closed, not served.
        guard context.channel.isActive else {
            channel.close(promise: nil)
            return
        }
        // None free (worker_connections): nginx closes the new connection at once.
        guard WorkerConnections.available(alert: { [group] in
            (group.defaultServer.serverLevel.errorLog ?? ErrorLog.shared).log(.alert, $0)
        }) else {
            channel.close(promise: nil)
            return
        }
        do {
            try setUp(channel)
        } catch {
            // As the AcceptHandler does when the initializer fails.
            channel.close(promise: nil)
            context.fireErrorCaught(error)
            return
        }
        if back == nil {
            // The first connection: the AcceptHandler is in the pipeline by now.
            let handler = AcceptBack()
            if (try? context.pipeline.syncOperations.addHandler(handler, position: .last)) != nil {
                back = handler.context
            }
        }
        if let back {
            back.fireChannelRead(data)
        } else {
            // Through the AcceptHandler (no options, no initializer left to run).
            context.fireChannelRead(data)
        }
    }

    /// What the bootstrap's child initializer did.
    private func setUp(_ channel: Channel) throws {
        let g = group
        CachedTime.update()
        let conn = HTTPConnection(number: ConnectionRegistry.shared.nextConnectionNumber(), listen: g)
        if let options = channel.syncOptions {
            // A plain connection gets TCP_NODELAY with one setsockopt(2) in
            // HTTPConnection.handlerAdded (NIO's generic setOption is ~3k).
            if g.listen.ssl { try options.setOption(.tcpOption(.tcp_nodelay), value: 1) }
            // NIO keeps one receive buffer per connection for its whole life, sized by
            // the largest read so far. A TLS connection's starts small (2 KB by
            // default), since most request heads fit in 512 bytes; larger reads double
            // it as they come. (Remote half-closure stays off, NIO's default.)
            if g.listen.ssl {
                try options.setOption(.recvAllocator, value: HTTPWorker.receiveAllocator)
            } else {
                // A plain connection keeps no receive buffer (ClientRecvBuffers).
                try options.setOption(.recvAllocator, value: ClientRecvAllocator())
            }
        }
        let pipeline = channel.pipeline.syncOperations
        if g.listen.ssl {
            try pipeline.addHandlers([TLSServerSniffer(group: g, connection: conn), conn])
        } else {
            try pipeline.addHandler(conn)
        }
    }
}

/// The last handler of a listener's pipeline: AcceptFront fires accepted connections
/// from its context, so that they go on to the tail.
final class AcceptBack: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Channel
    private(set) var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }
}

