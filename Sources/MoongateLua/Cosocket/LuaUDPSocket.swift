import CLuaJIT
import MoongateCore
import MoongateHTTP
import NIOCore
import NIOPosix

/// A UDP cosocket (ngx_http_lua_socket_udp.c): a NIO datagram channel connected to one
/// peer. It reads one datagram per `receive` that finds none queued (autoRead off), so a
/// flooding peer fills the kernel's buffer, not the worker's memory.
final class LuaUDPSocket {
    final class Handler: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        weak var owner: LuaUDPSocket?
        /// A `read()` is pending.
        var readRequested = false

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            CachedTime.refresh()
            readRequested = false
            let env = unwrapInboundIn(data)
            owner?.received(Array(env.data.readableBytesView))
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            owner?.failed(LuaSocketError.message(for: error))
        }

        /// The socket's place among the worker's connections (see ConnectionSlot).
        var slot: ConnectionSlot?

        func channelInactive(context: ChannelHandlerContext) {
            slot?.release()
            context.fireChannelInactive()
        }
    }

    private(set) var channel: Channel?
    private var handler: Handler?
    private var peer: SocketAddress?
    private var queue: [[UInt8]] = []
    private var lastError: String?
    var readTimeout: Int
    private var reader: (thread: LuaThread, size: Int, timer: LuaTimerEntry?)?
    private let logErrors: Bool
    /// The `serial` of the request or timer that set the peer (0: none): only it may use
    /// the socket while it is open, and its end closes it, as ngx_lua's cleanup does.
    private var ownerSerial: UInt64 = 0
    /// Counts `close` calls: an open that completes after one is not the socket's any more.
    private var closes = 0
    /// `setpeername` is resolving or connecting.
    private var opening = false

    init(conf: LuaMainConf) {
        readTimeout = conf.socketReadTimeout
        logErrors = conf.socketLogErrors
    }

    deinit { channel?.close(promise: nil) }

    /// `setpeername`: binds a local socket for the peer's family; nil or an error.
    func setPeer(host: String, port: Int, thread: LuaThread) -> LuaTCPSocket.ConnectStart {
        close()
        let ctx = thread.context
        if ownerSerial != ctx.serial {
            // A long-running timer that sets many peers keeps only its sockets that are
            // open or opening listed, not every socket it ever used.
            if ctx.udpSockets.count >= 8 {
                ctx.udpSockets.removeAll { s in
                    guard s.channel == nil, !s.opening else { return false }
                    s.disown(ctx.serial)
                    return true
                }
            }
            ownerSerial = ctx.serial
            ctx.udpSockets.append(self)
        }
        let gen = closes
        opening = true
        let r = startOpen(host: host, port: port, thread: thread, gen: gen)
        if case .failed = r { opening = false }
        return r
    }

    private func startOpen(host: String, port: Int, thread: LuaThread, gen: Int) -> LuaTCPSocket.ConnectStart {
        let address: SocketAddress
        do {
            if port < 0 {
                address = try SocketAddress(unixDomainSocketPath: String(host.dropFirst(5)))
            } else if let ip = LuaHostResolver.resolve(host) {
                address = try SocketAddress(ipAddress: ip, port: port)
            } else if let (res, timeoutMs) = LuaResolverConf.forRunning() {
                res.resolve(host, timeoutMs: timeoutMs) { [weak self] r in
                    guard let self else { return }
                    switch r {
                    case .success(let addrs):
                        // Closed meanwhile (by its request's end, or another light
                        // thread): the waiting thread, if any still waits, learns it.
                        guard gen == self.closes else {
                            LuaTCPSocket.fail(thread, "closed")
                            return
                        }
                        guard let ip = addrs.randomElement(), let a = try? SocketAddress(ipAddress: ip, port: port) else {
                            self.opening = false
                            LuaTCPSocket.fail(thread, "bad address")
                            return
                        }
                        guard LuaTCPSocket.mayOpen(thread) else {
                            self.opening = false
                            LuaTCPSocket.fail(thread, LuaTCPSocket.noConnections)
                            return
                        }
                        self.open(a, thread: thread, closes: gen)
                    case .failure(let e):
                        if gen == self.closes { self.opening = false }
                        LuaTCPSocket.fail(thread, e.message)
                    }
                }
                return .again
            } else {
                return .failed("no resolver defined to resolve \"\(host)\"")
            }
        } catch {
            return .failed(LuaSocketError.message(for: error))
        }
        guard LuaScheduler.loop != nil else { return .failed("no event loop") }
        guard LuaTCPSocket.mayOpen(thread) else { return .failed(LuaTCPSocket.noConnections) }
        open(address, thread: thread, closes: gen)
        return .again
    }

    /// Connects to `address`; `closes` is the count of `close` calls when the peer was
    /// set (a later close makes the result nobody's).
    private func open(_ address: SocketAddress, thread: LuaThread, closes: Int) {
        guard let loop = LuaScheduler.loop else { return }
        let h = Handler()
        h.owner = self
        let slot = ConnectionSlot()
        h.slot = slot
        // A connected socket, as ngx_lua's: ICMP errors come back as ECONNREFUSED.
        DatagramBootstrap(group: loop)
            .channelOption(ChannelOptions.autoRead, value: false)
            .channelOption(ChannelOptions.maxMessagesPerRead, value: 1)
            // ngx_lua's largest datagram (its receive buffer).
            .channelOption(ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65536))
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(h) }
            }
            .connect(to: address)
            .whenComplete { [weak self] r in
                // (No channel, or one that is closed: its place is free again.)
                if case .failure = r { slot.release() }
                // The socket's Lua object was collected meanwhile: nobody will use or
                // close the channel.
                guard let self else {
                    if case .success(let ch) = r { ch.close(promise: nil) }
                    return
                }
                // Closed meanwhile (by its request's end, or another light thread):
                // the waiting thread, if any still waits, learns it.
                guard closes == self.closes else {
                    if case .success(let ch) = r { ch.close(promise: nil) }
                    LuaTCPSocket.fail(thread, "closed")
                    return
                }
                self.opening = false
                switch r {
                case .success(let ch):
                    self.channel = ch
                    self.handler = h
                    self.peer = address
                    thread.resume { co in
                        lua_pushinteger(co, 1)
                        return 1
                    }
                case .failure(let e):
                    let m = LuaSocketError.message(for: e)
                    LuaTCPSocket.fail(thread, m)
                }
            }
    }

    fileprivate func received(_ d: [UInt8]) {
        queue.append(d)
        finishRead()
    }

    fileprivate func failed(_ e: String) {
        lastError = e
        finishRead()
    }

    /// `send`: nil when sent (synchronously queued), or an error.
    func send(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard let ch = channel, let peer else { return "closed" }
        var b = ch.allocator.buffer(capacity: bytes.count)
        b.writeBytes(bytes)
        ch.writeAndFlush(AddressedEnvelope(remoteAddress: peer, data: b), promise: nil)
        return nil
    }

    /// `receive(size)`: a datagram now, an error, or nil after parking `thread`.
    func receive(size: Int, thread: LuaThread) -> Result<[UInt8], LuaUDPError>? {
        guard channel != nil else { return .failure(LuaUDPError(message: "closed")) }
        if reader != nil { return .failure(LuaUDPError(message: "socket busy")) }
        if let r = take(size) { return r }
        if let ch = channel, let h = handler, !h.readRequested {
            h.readRequested = true
            ch.read()
        }
        let timer = readTimeout > 0 ? LuaTimerHeap.add(ms: readTimeout) { [weak self] in
            guard let self, let rd = self.reader else { return }
            self.reader = nil
            if self.logErrors { rd.thread.context.log(.error, "lua udp socket read timed out") }
            LuaUDPSocket.push(.failure(LuaUDPError(message: "timeout")), to: rd.thread)
        } : nil
        reader = (thread, size, timer)
        return nil
    }

    private func take(_ size: Int) -> Result<[UInt8], LuaUDPError>? {
        if !queue.isEmpty {
            let d = queue.removeFirst()
            return .success(Array(d.prefix(size)))
        }
        if let e = lastError {
            lastError = nil
            return .failure(LuaUDPError(message: e))
        }
        return nil
    }

    private func finishRead() {
        guard let rd = reader, let r = take(rd.size) else { return }
        reader = nil
        rd.timer?.cancel()
        LuaUDPSocket.push(r, to: rd.thread)
    }

    static func push(_ r: Result<[UInt8], LuaUDPError>, to thread: LuaThread) {
        thread.resume { co in
            switch r {
            case .success(let d):
                d.withUnsafeBufferPointer { p in
                    p.withMemoryRebound(to: CChar.self) { lua_pushlstring(co, $0.baseAddress, $0.count) }
                }
                return 1
            case .failure(let e):
                lua_pushnil(co)
                lua_pushstring(co, e.message)
                return 2
            }
        }
    }

    /// Whether the request or timer with `serial` may use the socket: any while it is
    /// closed or unowned, else its owner.
    func usable(bySerial serial: UInt64?) -> Bool {
        channel == nil || ownerSerial == 0 || serial == ownerSerial
    }

    /// The owner `serial` ended: the socket closes.
    func ownerReleased(_ serial: UInt64) {
        guard ownerSerial == serial else { return }
        ownerSerial = 0
        close()
    }

    /// The owner `serial` went away without ending (no cleanup ran).
    func disown(_ serial: UInt64) {
        if ownerSerial == serial { ownerSerial = 0 }
    }

    /// `close`: false when it was not open.
    @discardableResult
    func close() -> Bool {
        closes &+= 1
        opening = false
        guard let ch = channel else { return false }
        if let rd = reader {
            reader = nil
            rd.timer?.cancel()
        }
        ch.close(promise: nil)
        channel = nil
        handler = nil
        peer = nil
        queue = []
        return true
    }
}

/// A UDP cosocket failure carrying ngx_lua's message.
struct LuaUDPError: Error {
    let message: String
}
