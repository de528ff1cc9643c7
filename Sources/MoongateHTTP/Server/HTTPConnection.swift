import MoongateCore
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// One client connection: reads bytes, parses heads and bodies with our codec, runs one
/// request at a time (pipelined requests wait in the buffer), writes responses.
public final class HTTPConnection: ChannelInboundHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = IOData

    enum State {
        case idle  // waiting for a request head
        case active  // a request is running
        case closed
    }

    /// nginx's connection number (`*N` in the error log, `$connection`).
    public let number: Int
    let listen: ListenGroup
    /// The default server, whose header limits every head is parsed with: read through
    /// an unowned(unsafe) reference (no retain and release of the server per request;
    /// `listen` holds it, and a worker's configuration does not change) instead of a
    /// copy of the limits in every connection (26 bytes).
    unowned(unsafe) private let limitsServer: ServerConfig
    private var headerLimits: HeaderLimits { limitsServer.headerLimits }
    // The small fields are declared together (a class's fields are laid out in their
    // order: each Bool between two words cost seven bytes of padding).
    /// Whether NIO's autoRead is on (it is turned off while a body waits for its reader
    /// and while a raw reader asks for each read itself).
    private var autoRead = true
    /// `buffer` is NIO's receive buffer, lent for the duration of one `channelRead` (for a
    /// plain connection the worker's region, which the next read of any connection writes
    /// over: neither it nor a slice of it may be kept after the `channelRead`).
    private var bufferIsLent = false
    private var state = State.idle
    /// The next request was already buffered when the previous one ended (`$pipe`).
    private var nextIsPipelined = false
    private var discarding = false
    /// Reading stopped because a streaming body's reader cannot take more (autoRead off).
    private var readingPaused = false
    private var context: ChannelHandlerContext!
    /// `context.channel`, kept (its getter goes through the pipeline each time); let go
    /// with the context in `handlerRemoved`.
    private var channel: Channel?
    /// The channel's core, for a plain (not TLS) connection whose pipeline holds this
    /// handler alone: the next read is asked of it directly (`core.read0()`, what the
    /// pipeline's head handler would call) instead of NIO walking the pipeline from its
    /// tail after each read (~500 instructions per request). nil: NIO's own autoRead.
    private var core: ChannelCore?
    /// Bytes received and not yet consumed. Between reads it is empty and holds no
    /// memory (nginx frees an idle keep-alive connection's header buffer the same way):
    /// a read is parsed in NIO's own receive buffer, and only bytes left over (a partial
    /// head, pipelined requests, a paused body) are copied into a buffer of ours.
    private var buffer: ByteBuffer
    /// The running request.
    public private(set) var current: HTTPRequest?
    /// Requests served on this connection (`$connection_requests`).
    public private(set) var requestCount = 0
    /// When the connection was accepted (`$connection_time`).
    public private(set) var openedAtMsec: Int64 = 0
    private var bodyRemaining: Int64 = 0
    /// The decoder of a chunked request body (in `hooks`: a connection without one, as
    /// every idle one, pays nothing for it).
    private var chunkedDecoder: ChunkedDecoder? {
        get { hooks?.chunked }
        set { if newValue != nil || hooks != nil { madeHooks.chunked = newValue } }
    }
    /// `chunkedDecoder != nil`, without copying the decoder out.
    private var decodingChunked: Bool {
        @inline(__always) get {
            guard let h = hooks else { return false }
            return h.chunked != nil
        }
    }
    /// `$remote_addr`.
    public private(set) var remoteAddress = ""
    /// `$remote_port`.
    public var remotePort: Int { Int(remotePort32) }
    /// `$server_port`.
    public var localPort: Int { Int(localPort32) }
    private var remotePort32: Int32 = 0
    private var localPort32: Int32 = 80
    /// `$server_addr`.
    public private(set) var localAddressString = ""
    /// The allocator of the channel (NIO's default: channels here never set another).
    public var allocator: ByteBufferAllocator { HTTPConnection.sharedAllocator }
    private static let sharedAllocator = ByteBufferAllocator()
    /// The event loop the connection runs on (kept after the channel closed: a request
    /// that outlives its connection still schedules its cleanups there). One loop per
    /// worker process serves HTTP (as `ConnectionRegistry`): it is kept once for all
    /// connections, not in each (16 bytes).
    public var eventLoop: EventLoop { HTTPConnection.loop }
    nonisolated(unsafe) private static var loop: EventLoop!
    /// The TLS session when the client speaks TLS (`$https`, `$ssl_*`), in `hooks`.
    public internal(set) var tls: TLSSessionInfo? {
        get { hooks?.tls }
        set { if newValue != nil || hooks != nil { madeHooks.tls = newValue } }
    }
    /// What few connections use, boxed: a connection without any (every idle plain one)
    /// pays one pointer instead of four closures, a chunked body's decoder and a TLS
    /// session.
    private final class Hooks {
        var rawReader: ((inout ByteBuffer) -> Void)?
        var abortHandler: (() -> Bool)?
        var rawClosed: (() -> Void)?
        var onWritable: (() -> Void)?
        var chunked: ChunkedDecoder?
        var tls: TLSSessionInfo?
    }
    private var hooks: Hooks?
    private var madeHooks: Hooks {
        if let h = hooks { return h }
        let h = Hooks()
        hooks = h
        return h
    }
    /// Called by modules that take over the raw connection (ngx.req.socket(true)).
    public var rawReader: ((inout ByteBuffer) -> Void)? {
        get { hooks?.rawReader }
        set { if newValue != nil || hooks != nil { madeHooks.rawReader = newValue } }
    }
    /// Called when the client closes the connection during a request: true when the
    /// module takes care of it (ngx.on_abort) instead of the default 499 finalize.
    public var abortHandler: (() -> Bool)? {
        get { hooks?.abortHandler }
        set { if newValue != nil || hooks != nil { madeHooks.abortHandler = newValue } }
    }
    /// Called when the client closes a connection a raw reader took over.
    public var rawClosed: (() -> Void)? {
        get { hooks?.rawClosed }
        set { if newValue != nil || hooks != nil { madeHooks.rawClosed = newValue } }
    }
    /// Called once when the client connection can take writes again after it was full
    /// (a proxy with `proxy_buffering off` stopped reading its upstream meanwhile).
    public var onWritable: (() -> Void)? {
        get { hooks?.onWritable }
        set { if newValue != nil || hooks != nil { madeHooks.onWritable = newValue } }
    }
    /// Whether writes are below NIO's high water mark.
    public var isWritable: Bool { state != .closed && context.channel.isWritable }
    public var isClosed: Bool { state == .closed }
    /// Small writes not yet handed to NIO: a response head and a short body go out as one
    /// write (each NIO write costs a few thousand instructions).
    private var outBuf: ByteBuffer? = nil
    /// Set when the server is shutting down: finish the request, then close.
    public var closing = false
    private var pendingFlush = false
    private var headTimeoutArmed = false
    /// The socket of a plain (not TLS) connection, written directly when NIO holds none
    /// of our bytes: one send(2) instead of NIO's write and flush path (about 3.5k
    /// instructions per response). -1: always through NIO.
    private var fd: CInt = -1
    /// `timerListMs`, in 4 bytes (clamped: a duration past Int32.max never equals it, so
    /// `ConnectionTimers` then relinks, which is always right).
    private var timerListMs32: Int32 = -1
    /// The one timeout (header, body or keep-alive), kept by `ConnectionTimers`.
    enum TimerKind {
        case header, body, keepalive
    }
    private var timerKind = TimerKind.header
    /// On `ConnectionRegistry`'s list.
    var registered = false
    /// NIO may hold bytes of ours not yet written: direct sends wait until it has none,
    /// so the order of bytes on the wire is kept.
    private var nioBusy = false
    /// The free space after `outBuf`'s bytes, written directly by the small appends of a
    /// response (a `return` body, ngx.say, the last chunk) with only the writer index
    /// moved after (ByteBuffer.writeWithUnsafeMutableBytes costs ~100 instructions a
    /// call: capacity, uniqueness, slices). Taken by `outSpaceSlow`, which makes the
    /// storage unique; `outRoom` is set to 0 (the space unknown) wherever `outBuf` is
    /// assigned or changed otherwise, so the pointer is only used while it is valid.
    private var outFree: UnsafeMutableRawPointer? = nil
    private var outRoom = 0
    /// When the armed timeout is due, and the links of the timers' list it is on.
    var timerDeadline = NIODeadline.uptimeNanoseconds(0)
    /// (Lists are never freed: no reference counting for this link.)
    unowned(unsafe) var timerList: ConnectionTimers.List?
    /// The duration of `timerList` (-1 when on none): re-arming compares it, since reading
    /// an unowned(unsafe) reference retains and releases it.
    var timerListMs: Int {
        get { Int(timerListMs32) }
        set { timerListMs32 = Int32(clamping: newValue) }
    }
    unowned(unsafe) var timerPrev: HTTPConnection?
    var timerNext: HTTPConnection?
    /// Links of `ConnectionRegistry`'s list.
    unowned(unsafe) var registryPrev: HTTPConnection?
    var registryNext: HTTPConnection?

    init(number: Int, listen: ListenGroup) {
        self.number = number
        self.listen = listen
        self.limitsServer = listen.defaultServer
        self.buffer = HTTPConnection.noBytes
    }

    /// The empty buffer idle connections share: the first write into it allocates.
    private static let noBytes = ByteBuffer()

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        channel = context.channel
        HTTPConnection.loop = context.eventLoop
        openedAtMsec = Int64(CachedTime.monotonicMsec)
        if let r = context.channel.remoteAddress {
            remoteAddress = HTTPConnection.text(of: r) ?? "unix:"
            remotePort32 = Int32(truncatingIfNeeded: r.port ?? 0)
        }
        if let l = context.channel.localAddress {
            localAddressString = HTTPConnection.text(of: l) ?? ""
            localPort32 = Int32(truncatingIfNeeded: l.port ?? 80)
        }
        if !listen.listen.ssl {
            fd = HTTPConnection.socketDescriptor(context.channel)
            core = context.channel._channelCore
            if fd >= 0 {
                // As nginx's tcp_nodelay on (the worker's initializer sets it for TLS ones).
                var on: CInt = 1
                setsockopt(fd, CInt(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<CInt>.size))
            } else {
                try? context.channel.syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
            }
        }
        armTimer(ms: listen.defaultServer.clientHeaderTimeout, .header)
        ConnectionRegistry.shared.add(self)
    }

    /// The address as text. NIO formats the addresses of a connected socket when it
    /// reads them (`host`); `ipAddress` would run inet_ntop again (~2k instructions each).
    static func text(of address: SocketAddress) -> String? {
        switch address {
        case .v4(let a) where !a.host.isEmpty: return a.host
        case .v6(let a) where !a.host.isEmpty: return a.host
        default: return address.ipAddress
        }
    }

    /// Drops what ties the connection to its channel: the context holds this handler, so
    /// keeping it (or the request, or a closure that captures either) here would keep
    /// both alive forever.
    public func handlerRemoved(context: ChannelHandlerContext) {
        state = .closed
        readingPaused = false
        cancelTimer()
        self.context = nil
        channel = nil
        core = nil
        current = nil
        if let h = hooks {
            // The closures (which may hold the request); the TLS session stays for a
            // request that outlives the connection ($ssl_* in its log).
            h.rawReader = nil
            h.abortHandler = nil
            h.rawClosed = nil
            h.onWritable = nil
        }
        outBuf = nil
        outRoom = 0
        buffer = HTTPConnection.noBytes
        ConnectionRegistry.shared.remove(self)
    }

    /// The error log of the connection's default server, for lines about the connection
    /// itself (nginx's connection log before a request finds its server).
    var serverLog: ErrorLog { listen.defaultServer.serverLevel.errorLog ?? ErrorLog.shared }

    public func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        outBuf = nil
        outRoom = 0
        if state == .idle && buffer.readableBytes == 0 && serverLog.enabled(.info) {
            // The client closed while we waited: nginx's info lines for the two cases.
            if requestCount > 0 {
                serverLog.log(
                    .info, "client \(remoteAddress) closed keepalive connection", connection: number, context: "")
            } else {
                let host = listen.listen.host == "*" ? "0.0.0.0" : listen.listen.host
                serverLog.log(
                    .info, "client closed connection while waiting for request", connection: number,
                    context: ", client: \(remoteAddress), server: \(host):\(listen.listen.port)")
            }
        }
        if let f = rawClosed {
            rawClosed = nil
            f()
        }
        let wasActive = state == .active
        if wasActive, let r = current, !r.body.complete {
            // ngx_lua's body reader sees the close as "client aborted".
            r.body.aborted = true
            bodyProgress(r)
        }
        state = .closed
        ConnectionRegistry.shared.remove(self)
        let onAbort = abortHandler
        abortHandler = nil
        if wasActive, let r = current {
            r.clientAborted = true
            if !r.finalized, let h = onAbort, h() {
                // The module's abort handler decides how the request ends.
            } else if !r.finalized && !r.responseDone {
                r.status = r.headerSent ? r.status : 499
                r.connectionClosedByClient()
            }
        }
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // The time these bytes arrived: what the request, its timers and ngx.now() see.
        CachedTime.refresh()
        var incoming = unwrapInboundIn(data)
        if let raw = rawReader {
            // The reader may keep the buffer: not the worker's receive region, which the
            // next read writes over (ClientRecvBuffers).
            if core != nil && ClientRecvBuffers.isRegion(incoming) { incoming = ByteBuffer(bytes: incoming.readableBytesView) }
            raw(&incoming)
            return
        }
        if buffer.readableBytes == 0 {
            buffer = incoming
            bufferIsLent = true
        } else {
            // Our own buffer: body bytes are consumed as they come, so reuse the space.
            if buffer.readerIndex >= 64 * 1024 { buffer.discardReadBytes() }
            buffer.writeBuffer(&incoming)
        }
        // client_body_timeout runs between two successive reads (nginx re-adds the timer).
        if state == .active, !discarding, !readingPaused, bodyRemaining > 0 || decodingChunked,
            let r = current, !r.body.complete
        {
            armBodyTimer(r)
        }
        process()
        returnReadBuffer()
        // As NIO's readIfNeeded0 after this read would (autoRead on, no read pending),
        // without the pipeline: read0 marks the read pending, so NIO then asks no more.
        if autoRead, let core { core.read0() }
    }

    /// Lets go of NIO's receive buffer (so that NIO reuses it for the next read instead
    /// of allocating another) and of an emptied buffer of ours, keeping only unread bytes.
    private func returnReadBuffer() {
        if buffer.readableBytes == 0 {
            buffer = HTTPConnection.noBytes
        } else if bufferIsLent {
            var own = allocator.buffer(capacity: max(1024, buffer.readableBytes))
            own.writeBuffer(&buffer)
            buffer = own
        }
        bufferIsLent = false
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        if pendingFlush {
            pendingFlush = false
            emitPending()
            context.flush()
        }
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let f = onWritable {
            onWritable = nil
            f()
        }
        context.fireChannelWritabilityChanged()
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        if tls != nil { logTLSError(error) }
        context.close(promise: nil)
    }

    private func process() {
        while state != .closed {
            if state == .active {
                // Feed body bytes to the running request.
                if bodyRemaining > 0 || decodingChunked {
                    if !consumeBody() { return }
                    continue
                }
                return
            }
            if discarding {
                if bodyRemaining > 0 || decodingChunked {
                    if !consumeBody() { return }
                }
                discarding = false
            }
            // idle: look for a head.
            guard buffer.readableBytes > 0 else {
                buffer.discardReadBytes()
                return
            }
            // One pass over the buffer: the end of the head, then the head parsed (moved
            // from the parser into the request, never copied: a copy retains and releases
            // every string and array in it; no Optional either, whose generic destroy and
            // take cost ~150 instructions). The bytes are read through a pointer taken out
            // of the buffer, which nothing changes until the head is parsed.
            let bytes = buffer.withUnsafeReadableBytes { $0 }
            // The common head in one pass (its end found on the way); any other takes the
            // general path below, which gives the same head or the error.
            var commonEnd = 0
            let common: RequestHead
            do {
                common = try RequestParser.parseCommon(bytes, limits: headerLimits, end: &commonEnd)
            } catch {
                if processGeneral(bytes) { continue }
                return
            }
            buffer.moveReaderIndex(forwardBy: commonEnd)
            startRequest(common)
        }
    }

    /// `process` for a head `parseCommon` did not take: its end searched for first, then
    /// the head parsed. Returns true when a request started (the loop goes on), false
    /// when the head is incomplete (more bytes awaited: the buffer and state unchanged)
    /// or its error was answered.
    private func processGeneral(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let end = RequestParser.headEnd(bytes) else {
            // Incomplete (or only blank lines so far, dropped): wait for more.
            do {
                try RequestParser.checkIncomplete(bytes, limits: headerLimits)
            } catch let e as RequestParseError {
                badRequest(e)
            } catch {}
            return false
        }
        let head: RequestHead
        do {
            head = try RequestParser.parse(
                UnsafeRawBufferPointer(rebasing: bytes[0..<end]), limits: headerLimits)
        } catch {
            buffer.moveReaderIndex(forwardBy: end)
            badRequest(error as? RequestParseError ?? RequestParseError(400, "client sent invalid request"))
            return false
        }
        buffer.moveReaderIndex(forwardBy: end)
        startRequest(head)
        return true
    }

    /// Moves body bytes from the buffer into the request; returns false when more are needed.
    private func consumeBody() -> Bool {
        guard buffer.readableBytes > 0 else { return false }
        let target = discarding ? nil : current
        if let r = target, r.body.streaming {
            guard let sink = r.body.sink else {
                pauseReading()
                return false
            }
            return streamBody(r, sink)
        }
        if var dec = chunkedDecoder {
            var out: [UInt8] = []
            let used: Int
            do {
                used = try buffer.withUnsafeReadableBytes { try dec.feed($0, into: &out) }
            } catch {
                chunkedDecoder = nil
                if let r = target {
                    r.log(.info, "client sent invalid chunked body")
                    r.body.tooLarge = false
                    r.keepAlive = false
                    bodyFailed(r, status: 400)
                } else {
                    close()
                }
                return false
            }
            // Nobody asked for the body yet: keep its raw bytes, which are what
            // ngx.req.socket(true) reads if it takes the connection over.
            if let r = target, r.body.keepRaw {
                buffer.withUnsafeReadableBytes { r.body.raw.append(contentsOf: $0.prefix(used)) }
            }
            buffer.moveReaderIndex(forwardBy: used)
            let sizes = dec.takeChunkSizes()
            if let r = target {
                r.body.chunkSizes += sizes
                r.body.data.append(contentsOf: out)
                // Only once the location (and its client_max_body_size) is known; before
                // that the find-config phase checks what arrived.
                let mayRead = r.loc.contentHandler != nil || !r.loc.rewriteHandlers.isEmpty
                    || !r.loc.accessHandlers.isEmpty
                if r.phase.rawValue > Phase.findConfig.rawValue, mayRead, let max = r.loc.clientMaxBodySize, max > 0,
                    let over = r.body.chunkedOverflow(max: max)
                {
                    r.log(.error, "client intended to send too large chunked body: \(over)")
                    chunkedDecoder = nil
                    r.keepAlive = false
                    bodyFailed(r, status: 413)
                    return false
                }
                r.body.received += Int64(out.count)
            }
            if dec.isComplete {
                chunkedDecoder = nil
                if let r = target { bodyComplete(r) }
                return true
            }
            chunkedDecoder = dec
            if let r = target, !out.isEmpty { bodyProgress(r) }
            if let r = target { holdUnclaimed(r) }
            return false
        }
        let take = Int(min(Int64(buffer.readableBytes), bodyRemaining))
        if let r = target {
            buffer.withUnsafeReadableBytes { r.body.data.append(contentsOf: $0.prefix(take)) }
            r.body.received += Int64(take)
        }
        buffer.moveReaderIndex(forwardBy: take)
        bodyRemaining -= Int64(take)
        if bodyRemaining == 0, let r = target {
            bodyComplete(r)
        } else if take > 0, let r = target {
            bodyProgress(r)
        }
        if bodyRemaining > 0, let r = target { holdUnclaimed(r) }
        return bodyRemaining == 0
    }

    /// Tells a streaming body reader that bytes arrived or the body ended.
    private func bodyProgress(_ r: HTTPRequest) {
        // Copied out first: the reader may touch r.body.
        if let f = r.body.onProgress { f() }
    }

    /// Stops reading a body nobody waits for once `client_body_buffer_size` of it is
    /// here: memory stays bounded while the phases run (a slow access check, a proxy
    /// still connecting) until a reader asks for it or the request ends.
    private func holdUnclaimed(_ r: HTTPRequest) {
        guard !readingPaused, r.body.waiters.isEmpty, r.body.onProgress == nil, !r.body.complete,
            r.body.data.count >= max(r.loc.clientBodyBufferSize ?? 16 * 1024, 16 * 1024)
        else { return }
        pauseReading()
        // Later, not inside whenComplete's mutation of the request's body.
        r.body.onClaim = { [weak self] in
            self?.eventLoop.execute { [weak self] in self?.resumeBody() }
        }
    }

    /// A streaming body (nginx's unbuffered request body): hands what arrived to the
    /// reader, keeping nothing; returns true when the body is complete.
    private func streamBody(_ r: HTTPRequest, _ sink: (ByteBuffer) -> Void) -> Bool {
        if var dec = chunkedDecoder {
            var out: [UInt8] = []
            let used: Int
            do {
                used = try buffer.withUnsafeReadableBytes { try dec.feed($0, into: &out) }
            } catch {
                chunkedDecoder = nil
                // nginx's log action is the proxy's at this point.
                r.log(.error, "client sent invalid chunked body while sending request to upstream")
                r.keepAlive = false
                bodyFailed(r, status: 400)
                return false
            }
            buffer.moveReaderIndex(forwardBy: used)
            if let max = r.loc.clientMaxBodySize, max > 0 {
                for c in dec.takeChunkSizes() {
                    if r.body.chunkedTotal + c > max {
                        r.log(.error, "client intended to send too large chunked body: \(r.body.chunkedTotal)+\(c) bytes")
                        chunkedDecoder = nil
                        r.keepAlive = false
                        bodyFailed(r, status: 413)
                        return false
                    }
                    r.body.chunkedTotal += c
                }
            } else {
                _ = dec.takeChunkSizes()
            }
            chunkedDecoder = dec.isComplete ? nil : dec
            if !out.isEmpty {
                r.body.received += Int64(out.count)
                var b = allocator.buffer(capacity: out.count)
                b.writeBytes(out)
                sink(b)
            }
            if dec.isComplete, !r.finalized {
                bodyComplete(r)
                return true
            }
            return false
        }
        let take = Int(min(Int64(buffer.readableBytes), bodyRemaining))
        guard take > 0 else { return bodyRemaining == 0 }
        // A copy, not a slice: a slice would keep the connection's buffer shared, and the
        // next read would copy all of it.
        var b = allocator.buffer(capacity: take)
        buffer.withUnsafeReadableBytes { b.writeBytes(UnsafeRawBufferPointer(rebasing: $0.prefix(take))) }
        buffer.moveReaderIndex(forwardBy: take)
        bodyRemaining -= Int64(take)
        r.body.received += Int64(take)
        sink(b)
        if bodyRemaining == 0, !r.finalized { bodyComplete(r) }
        return bodyRemaining == 0
    }

    /// Stops reading the client until `resumeBody` (nginx removes the read event and its
    /// timer while the upstream is busy).
    private func pauseReading() {
        guard !readingPaused, state != .closed else { return }
        readingPaused = true
        cancelTimer()
        autoRead = false
        context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
    }

    /// Reads the client again after `pauseReading`: the streaming body's reader set its
    /// sink again. Feeds what is buffered at once.
    public func resumeBody() {
        guard readingPaused, state != .closed else { return }
        readingPaused = false
        autoRead = true
        context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        if state == .active, let r = current, !r.body.complete, bodyRemaining > 0 || decodingChunked {
            armBodyTimer(r)
        }
        process()
        returnReadBuffer()
    }

    private func armBodyTimer(_ r: HTTPRequest) {
        armTimer(ms: r.loc.clientBodyTimeout ?? 60_000, .body)
    }

    private func bodyTimeout() {
        guard let r = current, !r.body.complete, !r.finalized else { return }
        // nginx terminates the request: no response, no log line, 408 in the access
        // log unless a response head already went.
        r.body.complete = true
        r.keepAlive = false
        if !r.headerSent { r.status = 408 }
        r.finishRequest(closeNow: true)
    }

    private func bodyComplete(_ r: HTTPRequest) {
        r.body.complete = true
        cancelTimer()
        let ws = r.body.waiters
        r.body.waiters = []
        for w in ws { w() }
        bodyProgress(r)
    }

    private func bodyFailed(_ r: HTTPRequest, status: Int) {
        r.body.complete = true
        if r.headerSent {
            r.finalize(status)
        } else {
            r.finalize(status)
        }
    }

    private func startRequest(_ head: consuming RequestHead) {
        // The header or keep-alive timeout stays armed while the request runs: when it
        // falls due it finds the connection busy and does nothing (see timerFired), and
        // the keep-alive timeout armed after this request then only moves its deadline.
        requestCount += 1
        // The host String is made only when a choice depends on it (one server on the
        // address, without regex names: none does).
        let server = listen.servers.count == 1 ? listen.defaultServer : listen.findServer(host: head.host)
        // (The parser tells a URI that needs no normalizing: its path and args are split
        // off without another scan.)
        let q = head.simpleQuery
        guard let split = q >= -1 ? URINormalizer.splitKnown(head.rawURI, query: Int(q))
            : URINormalizer.split(head.rawURI, mergeSlashes: server.mergeSlashes) else {
            let e = RequestParseError(400, "client sent invalid request", requestLine: head.requestLineForLog)
            badRequest(e)
            return
        }
        let regexNames = !server.regexNames.isEmpty
        // (The request's init is the server's last use here: moved into the request, not
        // retained for it and released after.)
        let r = HTTPRequest(connection: self, head: head, server: server, path: split.path, args: split.args)
        if regexNames {
            let host = r.head.host
            if let (re, m) = listen.matchingRegex(of: r.server, host: host) {
                r.setCaptures(m, subject: host ?? "", regex: re)
            }
        }
        current = r
        if listen.listen.ssl && tls == nil {
            // nginx's ngx_http_process_request: the 497 page, before any phase.
            state = .active
            r.log(.info, "client sent plain HTTP request to HTTPS port")
            r.body.complete = true
            r.keepAlive = false
            r.finalize(497)
            return
        }
        r.pipelined = nextIsPipelined
        nextIsPipelined = false
        for line in r.head.ignoredHeaderLines {
            r.log(.info, "client sent invalid header line: \"\(line)\" while reading client request headers")
        }
        state = .active
        bodyRemaining = r.head.contentLength ?? 0
        chunkedDecoder = r.head.chunked ? ChunkedDecoder() : nil
        if bodyRemaining == 0 && !decodingChunked {
            r.body.complete = true
        } else {
            // "100 Continue" waits for the location: a 413 goes out without it, as in nginx.
            r.expectContinuePending = r.head.expectContinue && r.head.version >= 11 && buffer.readableBytes == 0
            armBodyTimer(r)
            // Body bytes already buffered.
            _ = consumeBody()
        }
        r.start()
    }

    private func badRequest(_ e: RequestParseError) {
        cancelTimer()
        requestCount += 1
        // A request line without a version is HTTP/0.9: the error page goes without headers.
        let is09 = (e.requestLine?.split(separator: " ").count ?? 0) == 2
        let rawLine = e.requestLine.map(LogBytes.bytes) ?? []
        let head = RequestHead(
            method: "GET", rawURI: "/", version: is09 ? 9 : 11, headers: [], rawHeader: rawLine,
            requestLineLength: rawLine.count, contentLength: nil, chunked: false, host: nil,
            keepAliveRequested: false, expectContinue: false)
        let server = listen.defaultServer
        let r = HTTPRequest(connection: self, head: head, server: server, path: "/", args: nil)
        r.keepAlive = false
        current = r
        state = .active
        let level: LogLevel = .info
        let log = server.serverLevel.errorLog ?? ErrorLog.shared
        if log.enabled(level) {
            var ctx = ", client: \(remoteAddress), server: \(server.primaryName)"
            if let rl = e.requestLine { ctx += ", request: \"\(rl)\"" }
            if let h = e.host { ctx += ", host: \"\(h)\"" }
            let stage = e.stage == .headers ? "headers" : "line"
            log.log(level, e.message + " while reading client request " + stage, connection: number, context: ctx)
        }
        r.loc = server.serverLevel
        r.finalize(e.status)
    }

    /// Takes the bytes received after the current request's head and body (the first
    /// data of an upgraded connection, for the proxy's tunnel).
    public func takeBuffered() -> ByteBuffer? {
        guard buffer.readableBytes > 0 else { return nil }
        // A copy while the buffer is NIO's receive buffer: a plain connection's reads are
        // in the worker's region, which the next read writes over (ClientRecvBuffers).
        let b = bufferIsLent
            ? ByteBuffer(bytes: buffer.readableBytesView)
            : buffer.getSlice(at: buffer.readerIndex, length: buffer.readableBytes)
        buffer = HTTPConnection.noBytes
        return b
    }

    /// Hands the connection to a raw reader (ngx.req.socket(true)): stops reading the
    /// body and its timer; returns the bytes buffered after what was read so far.
    /// The raw reader asks for bytes with `readRaw` (ngx_lua reads the raw socket only
    /// inside `receive*`): the client waits in the kernel meanwhile.
    public func takeOverRaw(_ reader: @escaping (inout ByteBuffer) -> Void) -> ByteBuffer? {
        cancelTimer()
        bodyRemaining = 0
        chunkedDecoder = nil
        rawReader = reader
        readingPaused = false
        autoRead = false
        context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        return takeBuffered()
    }

    /// One more read of the client connection for the raw reader.
    public func readRaw() {
        guard state != .closed, rawReader != nil else { return }
        context.read()
    }

    // MARK: Output used by HTTPRequest

    /// Writes a response head made in a buffer of `outputBuffer`, whose free space starts
    /// at `tail` (`room` bytes): when it starts the coalesced output, the body appended
    /// after it is written there directly (the buffer is ours alone once the caller's copy
    /// is gone, before any append).
    func writeHead(_ b: ByteBuffer, tail: UnsafeMutableRawPointer, room: Int) {
        guard state != .closed else { return }
        if outBuf == nil && b.readableBytes < 16384 {
            outBuf = b
            outFree = tail
            outRoom = room
            return
        }
        write(b)
    }

    func write(_ b: ByteBuffer) {
        guard state != .closed else { return }
        let limit = 16384  // a head and a body of up to ~16 KB go out in one send
        outRoom = 0
        if outBuf == nil {
            if b.readableBytes < limit {
                outBuf = b
                return
            }
        } else if outBuf!.readableBytes + b.readableBytes <= limit {
            outBuf!.writeImmutableBuffer(b)
            return
        }
        emitPending()
        nioBusy = true
        context.write(NIOAny(IOData.byteBuffer(b)), promise: nil)
    }

    /// Writes `d` as one chunk of a chunked body (`hex CRLF data CRLF`), straight into
    /// the coalesced output when it fits; returns the bytes the chunk takes on the wire.
    func writeChunk(_ d: ByteBuffer) -> Int {
        let n = d.readableBytes
        let hexLen = max(1, (Int.bitWidth - n.leadingZeroBitCount + 3) / 4)
        let total = hexLen + 2 + n + 2
        guard state != .closed else { return total }
        func frame(_ b: inout ByteBuffer) {
            b.writeWithUnsafeMutableBytes(minimumWritableBytes: hexLen + 2) { p in
                HTTPConnection.storeChunkSize(n, hexLen, p.baseAddress!)
                return hexLen + 2
            }
            b.writeImmutableBuffer(d)
            b.writeStaticString("\r\n")
        }
        if outBuf != nil, outBuf!.readableBytes + total <= 16384 {
            outRoom = 0
            frame(&outBuf!)
            return total
        }
        var framed = allocator.buffer(capacity: total)
        frame(&framed)
        write(framed)
        return total
    }

    /// One cleared output buffer kept for the worker's next response (all of a worker's
    /// connections run on its one thread): a response that goes out with one send(2)
    /// allocates nothing. Kept by the worker, not per connection: idle connections hold
    /// no buffer.
    nonisolated(unsafe) private static var spareOut: ByteBuffer?

    /// A buffer for a response head: the spare one when there is one.
    func outputBuffer(capacity: Int) -> ByteBuffer {
        if let b = HTTPConnection.spareOut {
            HTTPConnection.spareOut = nil
            if b.capacity >= capacity { return b }
        }
        return allocator.buffer(capacity: capacity)
    }

    /// Appends `s` to the coalesced output; false (nothing written) when there is none
    /// or it would pass the coalescing limit.
    func append(_ s: String) -> Bool {
        let n = s.utf8.count
        guard state != .closed, let out = outSpace(n) else { return false }
        // Copied straight from the string's UTF-8 (ByteBuffer.writeString costs ~150).
        let done: Bool? = s.utf8.withContiguousStorageIfAvailable { u in
            if n > 0 { out.copyMemory(from: u.baseAddress!, byteCount: n) }
            return true
        }
        if done == nil {
            outRoom = 0
            outBuf!.writeString(s)
            return true
        }
        outWritten(n)
        return true
    }

    /// Where `n` more bytes go at the end of the coalesced output, or nil when there is
    /// none or it would pass the coalescing limit. The caller writes exactly `n` bytes
    /// there and then calls `outWritten(n)`.
    @inline(__always) private func outSpace(_ n: Int) -> UnsafeMutableRawPointer? {
        guard outBuf != nil, outBuf!.readableBytes + n <= 16384 else { return nil }
        if n <= outRoom, let p = outFree { return p }
        return outSpaceSlow(n)
    }

    private func outSpaceSlow(_ n: Int) -> UnsafeMutableRawPointer {
        outBuf!.reserveCapacity(minimumWritableBytes: n)
        // The storage is unique from here on (copied if shared): the pointer stays valid
        // until `outBuf` is assigned or changed by another path (which zero `outRoom`).
        let (p, room) = outBuf!.withUnsafeMutableWritableBytes { ($0.baseAddress!, $0.count) }
        outFree = p
        outRoom = room
        return p
    }

    /// Counts `n` bytes written at `outSpace`'s pointer.
    @inline(__always) private func outWritten(_ n: Int) {
        outBuf!.moveWriterIndex(forwardBy: n)
        outFree = outFree! + n
        outRoom -= n
    }

    /// Appends a body piece of `n` bytes that `fill` writes (framed as one chunk of a
    /// chunked body when `chunked`) to the coalesced output, with no buffer of its own;
    /// returns the bytes it takes on the wire, or -1 (nothing written, `fill` not called)
    /// when there is no coalesced output or it would pass the coalescing limit.
    func appendBody(count n: Int, chunked: Bool, _ fill: (UnsafeMutableRawPointer) -> Void) -> Int {
        guard state != .closed, outBuf != nil else { return -1 }
        let hexLen = chunked ? max(1, (Int.bitWidth - n.leadingZeroBitCount + 3) / 4) : 0
        let total = chunked ? hexLen + 2 + n + 2 : n
        guard let base = outSpace(total) else { return -1 }
        if !chunked {
            fill(base)
        } else {
            HTTPConnection.storeChunkSize(n, hexLen, base)
            fill(base + hexLen + 2)
            base.storeBytes(of: 13, toByteOffset: hexLen + 2 + n, as: UInt8.self)
            base.storeBytes(of: 10, toByteOffset: hexLen + 3 + n, as: UInt8.self)
        }
        outWritten(total)
        return total
    }

    /// Writes a chunk's size line (`hexLen` hex digits of `n`, then CRLF) at `p`.
    @inline(__always) static func storeChunkSize(_ n: Int, _ hexLen: Int, _ p: UnsafeMutableRawPointer) {
        let hex: StaticString = "0123456789abcdef"
        var v = n
        var at = hexLen
        while at > 0 {
            at -= 1
            p.storeBytes(of: hex.utf8Start[v & 15], toByteOffset: at, as: UInt8.self)
            v >>= 4
        }
        p.storeBytes(of: 13, toByteOffset: hexLen, as: UInt8.self)
        p.storeBytes(of: 10, toByteOffset: hexLen + 1, as: UInt8.self)
    }

    /// Writes a few constant bytes (the last chunk), into the coalesced output when any.
    func writeStatic(_ s: StaticString) {
        guard state != .closed else { return }
        let n = s.utf8CodeUnitCount
        if let out = outSpace(n) {
            // Copied in place (ByteBuffer.writeStaticString costs ~150).
            out.copyMemory(from: s.utf8Start, byteCount: n)
            outWritten(n)
            return
        }
        var b = allocator.buffer(capacity: s.utf8CodeUnitCount)
        b.writeStaticString(s)
        write(b)
    }

    /// Hands the coalesced small writes to NIO (before any other write, flush or close).
    private func emitPending() {
        guard let b = outBuf else { return }
        outBuf = nil
        outRoom = 0
        nioBusy = true
        context.write(NIOAny(IOData.byteBuffer(b)), promise: nil)
    }

    /// sendfile(2) of a static file: only plain connections get file chunks (see
    /// `BodyChunk.file`).
    func write(file: FileRegion) {
        guard state != .closed else { return }
        emitPending()
        nioBusy = true
        context.write(NIOAny(IOData.fileRegion(file)), promise: nil)
    }

    /// Sends the interim `100 Continue` response.
    func sendContinue() {
        guard state != .closed else { return }
        var b = allocator.buffer(capacity: 32)
        b.writeString("HTTP/1.1 100 Continue\r\n\r\n")
        emitPending()
        nioBusy = true
        context.writeAndFlush(NIOAny(IOData.byteBuffer(b)), promise: nil)
    }

    func flush() {
        guard state != .closed else { return }
        // Moved out (not copied: no retain and release of its storage, and clear() then
        // finds the storage unique and keeps it); put back unless all of it went.
        if fd >= 0, var out = outBuf.take() {
            outRoom = 0
            let n = sendDirect(out)
            if n == out.readableBytes {
                // The whole storage, not the slice: a small slice of a big buffer (a
                // proxied body in its read buffer) would make clear() allocate a big one.
                if out.withVeryUnsafeBytes({ $0.count }) <= 32768 {
                    out.clear()
                    HTTPConnection.spareOut = out
                }
                return
            }
            // A part written leaves the rest for NIO; when the socket is full or failed,
            // NIO writes it all (and meets the error, or waits until writable).
            if n > 0 { out.moveReaderIndex(forwardBy: n) }
            outBuf = out
        }
        emitPending()
        context.flush()
    }

    /// Writes `b` with send(2) when NIO holds nothing of ours; returns the bytes written
    /// (-1 or 0: none).
    private func sendDirect(_ b: borrowing ByteBuffer) -> Int {
        // NIO closes the descriptor and marks the channel inactive in one step on this
        // loop: an active channel still owns `fd`.
        guard let channel, channel.isActive else { return -1 }
        if nioBusy {
            guard let opts = channel.syncOptions,
                (try? opts.getOption(.bufferedWritableBytes)) == 0
            else { return -1 }
            nioBusy = false
        }
        return b.withUnsafeReadableBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// The descriptor under a plain socket channel, or -1 (another kind of channel, or
    /// one already closed). NIO lends it through its transport API; the caller must not
    /// close it, and uses it only while the channel is open, on the channel's loop. The
    /// core is cast to the unconstrained protocol and opened generically: the cast
    /// `withUnsafeTransportIfAvailable(of:)` makes, to `any
    /// NIOTransportAccessibleChannelCore<Handle>`, instantiates the constrained
    /// existential's metadata on every call (~14k instructions a connection).
    public static func socketDescriptor(_ channel: Channel) -> CInt {
        channel.eventLoop.assertInEventLoop()
        guard let core = channel._channelCore as? any NIOTransportAccessibleChannelCore else { return -1 }
        return descriptor(of: core)
    }

    private static func descriptor<Core: NIOTransportAccessibleChannelCore>(of core: Core) -> CInt {
        let fd = try? core.withUnsafeTransport { $0 as? NIOBSDSocket.Handle }
        return (fd ?? nil) ?? -1
    }

    /// Hands all output to the kernel and returns how many bytes it did not take yet
    /// (nginx's `c->buffered & NGX_HTTP_LOWLEVEL_BUFFERED`, for ngx.req.socket(true)).
    public func flushAndCountPending() -> Int {
        guard state != .closed else { return 0 }
        emitPending()
        context.flush()
        guard let opts = context.channel.syncOptions else { return 0 }
        return (try? opts.getOption(.bufferedWritableBytes)) ?? 0
    }

    /// Writes and flushes, calling `done` when the bytes were handed to the kernel.
    public func writeAndFlush(_ b: ByteBuffer, done: @escaping (Bool) -> Void) {
        guard state != .closed else {
            done(false)
            return
        }
        let p = context.eventLoop.makePromise(of: Void.self)
        p.futureResult.whenComplete { r in
            if case .success = r { done(true) } else { done(false) }
        }
        emitPending()
        nioBusy = true
        context.writeAndFlush(NIOAny(IOData.byteBuffer(b)), promise: p)
    }

    func abortAfterWrite() {
        guard state != .closed else { return }
        emitPending()
        context.flush()
        context.close(promise: nil)
    }

    /// Closes the connection now.
    public func close() {
        guard state != .closed else { return }
        state = .closed
        outBuf = nil
        outRoom = 0
        context.close(promise: nil)
    }

    /// Called when a request's response is complete.
    /// True when a connection that is not kept alive can be closed at once, as nginx
    /// closes it (ngx_http_finalize_connection): all of the response is with the kernel
    /// (sent directly, nothing queued in NIO) and nothing of the client's is left unread
    /// (no buffered bytes, no body still to come, none waiting in the socket). Otherwise
    /// the output is shut down first and the close waits a moment (lingering close), so
    /// that unread input does not make the kernel reset the connection under the response.
    private func closesAtOnce() -> Bool {
        guard fd >= 0, tls == nil, !nioBusy, outBuf == nil, buffer.readableBytes == 0, bodyRemaining == 0,
            !decodingChunked
        else { return false }
        var unread: CInt = 0
        return ioctl(fd, UInt(FIONREAD), &unread) == 0 && unread == 0
    }

    func requestFinished(_ r: HTTPRequest, closeNow: Bool) {
        guard state != .closed, r === current else { return }
        current = nil
        abortHandler = nil
        r.body.sink = nil
        r.body.onClaim = nil
        onWritable = nil
        if readingPaused {
            // The rest of a streamed body is read and discarded (or the connection closes).
            readingPaused = false
            autoRead = true
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        }
        if closeNow || !r.keepAlive || closing {
            emitPending()
            state = .closed
            let ctx = context!
            if closeNow || closesAtOnce() {
                ctx.close(promise: nil)
            } else {
                ctx.writeAndFlush(NIOAny(IOData.byteBuffer(ctx.channel.allocator.buffer(capacity: 0)))).whenComplete { _ in
                    ctx.close(mode: .output, promise: nil)
                    // Give the client a moment to read before the full close (lingering close).
                    ctx.eventLoop.scheduleTask(in: .milliseconds(200)) { ctx.close(promise: nil) }
                }
            }
            return
        }
        state = .idle
        if bodyRemaining > 0 || decodingChunked {
            discarding = true
        }
        nextIsPipelined = buffer.readableBytes > 0
        let ka = r.loc.keepaliveTimeout ?? 75_000
        armTimer(ms: ka, .keepalive)
        // Pipelined requests already buffered.
        if buffer.readableBytes > 0 {
            context.eventLoop.execute { [weak self] in
                self?.process()
                self?.returnReadBuffer()
            }
        } else {
            buffer = HTTPConnection.noBytes
        }
    }

    private func headerTimeout() {
        guard state == .idle else { return }
        if buffer.readableBytes > 0 && requestCount == 0 || buffer.readableBytes > 0 {
            serverLog.log(
                .info, "client timed out (110: Connection timed out) while reading client request headers",
                connection: number, context: ", client: \(remoteAddress), server: \(listen.defaultServer.primaryName)")
        }
        // nginx closes a connection whose head timed out without sending a 408 page.
        close()
    }

    private func armTimer(ms: Int, _ kind: TimerKind) {
        guard ms > 0 else {
            cancelTimer()
            return
        }
        timerKind = kind
        ConnectionTimers.shared.arm(self, ms: ms)
    }

    /// Called by `ConnectionTimers` when the armed timeout is due.
    func timerFired() {
        switch timerKind {
        case .header:
            headerTimeout()
        case .body:
            bodyTimeout()
        case .keepalive:
            guard state == .idle else { return }
            close()
        }
    }

    private func cancelTimer() {
        ConnectionTimers.shared.disarm(self)
    }

    /// Graceful shutdown: idle connections close now, busy ones after their response.
    public func shutdownGracefully() {
        closing = true
        if state == .idle { close() }
    }

    /// Waiting for a request with none of it read yet: a connection nginx marks
    /// reusable (ngx_reusable_connection), which it closes when it runs out of
    /// connections (WorkerConnections).
    var isReusable: Bool { state == .idle && buffer.readableBytes == 0 }
}

extension HTTPRequest {
    /// ngx.req.socket(true): the handler writes the whole response itself, so no
    /// header nor body goes out from here on, and the connection closes at the end.
    public func markRawResponse() {
        headerSent = true
        responseDone = true
        keepAlive = false
    }

    func connectionClosedByClient() {
        // Modules with pending work are told through cleanups; the request finishes as 499.
        if !finalized {
            keepAlive = false
            finalizeAborted()
        }
    }

    func finalizeAborted() {
        if !headerSent { status = 499 }
        finishRequest(closeNow: true)
    }
}

/// All live connections of this worker, for graceful shutdown: a list linked through
/// the connections (no per-connection allocation or hashing on accept and close).
public final class ConnectionRegistry {
    nonisolated(unsafe) public static let shared = ConnectionRegistry()
    private var head: HTTPConnection?
    private var nextNumber = 0

    func add(_ c: HTTPConnection) {
        guard !c.registered else { return }
        c.registered = true
        c.registryNext = head
        head?.registryPrev = c
        head = c
        count += 1
    }

    func remove(_ c: HTTPConnection) {
        guard c.registered else { return }
        c.registered = false
        let next = c.registryNext
        if let p = c.registryPrev { p.registryNext = next } else { head = next }
        next?.registryPrev = c.registryPrev
        c.registryPrev = nil
        c.registryNext = nil
        count -= 1
    }

    /// Number of open connections.
    public private(set) var count = 0
    /// Calls `body` with each connection, the newest first (the list must not change
    /// meanwhile).
    func forEach(_ body: (HTTPConnection) -> Void) {
        var c = head
        while let x = c {
            body(x)
            c = x.registryNext
        }
    }
    /// Asks each connection to finish and close.
    public func shutdownAll() {
        // Closing may unlink connections as we go: walk a copy.
        var all: [HTTPConnection] = []
        forEach { all.append($0) }
        for x in all { x.shutdownGracefully() }
    }
    /// A new connection number (nginx counts per worker from its connection array; we count up).
    public func nextConnectionNumber() -> Int {
        nextNumber += 1
        return nextNumber
    }
}
