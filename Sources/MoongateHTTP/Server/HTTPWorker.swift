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
            // The child channel's options are set in its initializer through its
            // synchronous options, not with childChannelOption: the bootstrap applies
            // those through a list of existentials and a chain of futures, ~30k
            // instructions for each new connection.
            let bootstrap = ServerBootstrap(group: loop)
                .serverChannelOption(.backlog, value: Int32(group.listen.backlog))
                .childChannelInitializer { channel in
                    CachedTime.update()
                    let conn = HTTPConnection(number: ConnectionRegistry.shared.nextConnectionNumber(), listen: g)
                    do {
                        if let options = channel.syncOptions {
                            // A plain connection gets TCP_NODELAY with one setsockopt(2) in
                            // HTTPConnection.handlerAdded (NIO's generic setOption is ~3k).
                            if g.listen.ssl { try options.setOption(.tcpOption(.tcp_nodelay), value: 1) }
                            // NIO keeps one receive buffer per connection for its whole life,
                            // sized by the largest read so far. A TLS connection's starts
                            // small (2 KB by default), since most request heads fit in 512
                            // bytes; larger reads double it as they come. (Remote half-closure
                            // stays off, NIO's default.)
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
                        return channel.eventLoop.makeSucceededVoidFuture()
                    } catch {
                        return channel.eventLoop.makeFailedFuture(error)
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
        for c in channels { c.close(promise: nil) }
        channels.removeAll()
    }
}
