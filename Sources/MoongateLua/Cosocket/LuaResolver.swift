import MoongateCore
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// One `resolver` directive (nginx's ngx_resolver_t): its name servers, `valid=` and
/// `ipv6=`, and its own answer cache. Each new name goes to the next server in turn; a
/// server that does not answer within 5 s (nginx's resend_timeout) gets the query
/// resent to the next one, until `resolver_timeout` ends the wait. A truncated answer
/// (more records than a datagram holds) is asked again of the same server over TCP.
final class LuaResolver {
    /// Name servers as address and port.
    let servers: [(host: String, port: Int)]
    /// `valid=`: overrides the answers' TTL (ms), nil to use the TTL.
    let validMs: Int?
    /// `ipv6=on` (the default) asks for A and AAAA records, `off` for A only.
    let ipv6: Bool
    /// nginx's resend_timeout.
    static let resendMs = 5000

    private var next = 0
    /// Answers and the last second (wall clock) they are valid in: nginx keeps a node
    /// while `valid >= ngx_time()`, so a TTL of 0 still serves the rest of its second.
    private var cache: [String: (addrs: [String], validSec: Int)] = [:]
    private var waiting: [String: [(Result<[String], LuaUDPError>) -> Void]] = [:]

    init(servers: [(host: String, port: Int)], validMs: Int?, ipv6: Bool) {
        self.servers = servers
        self.validMs = validMs
        self.ipv6 = ipv6
    }

    /// Resolves `name`; `done` gets the addresses or ngx_lua's error text
    /// ("NAME could not be resolved (3: Host not found)").
    func resolve(_ name: String, timeoutMs: Int, _ done: @escaping (Result<[String], LuaUDPError>) -> Void) {
        let key = name.lowercased()
        if let c = cache[key] {
            if c.validSec >= time(nil) {
                done(.success(c.addrs))
                return
            }
            cache[key] = nil
        }
        if waiting[key] != nil {
            waiting[key]!.append(done)
            return
        }
        waiting[key] = [done]
        let first = next
        next = (next + 1) % max(servers.count, 1)
        LuaDNSQuery(
            name: key, types: ipv6 ? [1, 28] : [1], servers: servers, first: first, timeoutMs: timeoutMs
        ).start { [weak self] r in
            self?.finish(name, key, r)
        }
    }

    private func finish(_ name: String, _ key: String, _ r: Result<(addrs: [String], ttl: Int), LuaUDPError>) {
        let waiters = waiting.removeValue(forKey: key) ?? []
        let out: Result<[String], LuaUDPError>
        switch r {
        case .success(let a):
            let ttl = validMs.map { $0 / 1000 } ?? a.ttl
            cache[key] = (a.addrs, time(nil) + ttl)
            out = .success(a.addrs)
        case .failure(let e):
            out = .failure(LuaUDPError(message: "\(name) \(e.message)"))
        }
        for w in waiters { w(out) }
    }
}

/// One name's lookup: a query per record type, sent to one server and resent to the
/// next every 5 s until all types are answered or the timeout ends it.
final class LuaDNSQuery {
    let name: String
    let types: [UInt16]
    let servers: [(host: String, port: Int)]
    private var server: Int
    let timeoutMs: Int
    private var ids: [UInt16: UInt16] = [:]
    /// Record types already asked over TCP after a truncated answer.
    private var overTCP: Set<UInt16> = []
    private var answers: [UInt16: Result<(addrs: [String], ttl: Int), LuaUDPError>] = [:]
    private var channels: [Channel] = []
    private var timers: [LuaTimerEntry] = []
    private var done: ((Result<(addrs: [String], ttl: Int), LuaUDPError>) -> Void)?

    init(name: String, types: [UInt16], servers: [(host: String, port: Int)], first: Int, timeoutMs: Int) {
        self.name = name
        self.types = types
        self.servers = servers
        self.server = first
        self.timeoutMs = timeoutMs
    }

    /// Sends the queries; `done` runs once, with the combined answer or the error.
    func start(_ done: @escaping (Result<(addrs: [String], ttl: Int), LuaUDPError>) -> Void) {
        guard !servers.isEmpty else {
            done(.failure(LuaUDPError(message: "could not be resolved (2: Server failure)")))
            return
        }
        self.done = done
        for t in types { ids[t] = UInt16.random(in: 0...UInt16.max) }
        // The query keeps itself alive through its timers until it ends.
        timers.append(LuaTimerHeap.add(ms: max(timeoutMs, 1)) { [self] in
            end(.failure(LuaUDPError(message: "could not be resolved (110: Operation timed out)")))
        })
        send()
    }

    private func send() {
        guard done != nil, let loop = LuaScheduler.loop else { return }
        let s = servers[server % servers.count]
        timers.append(LuaTimerHeap.add(ms: LuaResolver.resendMs) { [self] in
            guard done != nil else { return }
            server = (server + 1) % servers.count
            send()
        })
        guard let address = try? SocketAddress(ipAddress: s.host, port: s.port) else { return }
        let pending = types.filter { answers[$0] == nil }
        let handler = LuaDNSClient.Handler { [weak self] bytes in self?.received(bytes) }
        DatagramBootstrap(group: loop)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(handler) }
            }
            .connect(to: address)
            .whenComplete { [weak self] r in
                guard let ch = LuaDNSQuery.adopt(self, r), let self else { return }
                self.sentTo = (address, s)
                for t in pending {
                    guard let id = self.ids[t] else { continue }
                    let packet = LuaDNSClient.encode(self.name, id: id, type: t)
                    var b = ch.allocator.buffer(capacity: packet.count)
                    b.writeBytes(packet)
                    ch.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: b), promise: nil)
                }
            }
    }

    /// Where the datagrams went last (a truncated answer is asked again there over TCP).
    private var sentTo: (SocketAddress, (host: String, port: Int))?

    private func received(_ bytes: [UInt8], tcp: Bool = false) {
        guard done != nil else { return }
        for t in types where answers[t] == nil {
            guard let id = ids[t] else { continue }
            if LuaDNSClient.truncated(bytes, id: id) {
                // Over UDP: ask again over TCP, once; a truncated TCP answer is used as is.
                if !tcp {
                    if !overTCP.contains(t) {
                        overTCP.insert(t)
                        sendTCP(type: t, id: id)
                    }
                    continue
                }
            }
            guard let r = LuaDNSClient.decode(bytes, id: id, type: t) else { continue }
            answers[t] = r
        }
        guard answers.count == types.count else { return }
        var addrs: [String] = []
        var ttl = Int.max
        for t in types {
            if case .success(let a)? = answers[t] {
                addrs += a.addrs
                ttl = min(ttl, a.ttl)
            }
        }
        if addrs.isEmpty, case .failure(let e)? = answers[types[0]] {
            end(.failure(e))
        } else {
            end(.success((addrs, ttl == Int.max ? 0 : ttl)))
        }
    }

    private func sendTCP(type t: UInt16, id: UInt16) {
        guard let loop = LuaScheduler.loop, let (address, _) = sentTo else { return }
        let packet = LuaDNSClient.encode(name, id: id, type: t)
        let handler = LuaDNSClient.TCPHandler { [weak self] bytes in self?.received(bytes, tcp: true) }
        ClientBootstrap(group: loop)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(handler) }
            }
            .connect(to: address)
            .whenComplete { [weak self] r in
                guard let ch = LuaDNSQuery.adopt(self, r) else { return }
                var b = ch.allocator.buffer(capacity: packet.count + 2)
                b.writeInteger(UInt16(packet.count))
                b.writeBytes(packet)
                ch.writeAndFlush(b, promise: nil)
            }
    }

    /// A channel that connected for `query`: kept (closed when the query ends) while the
    /// query still waits, else closed; nil when there is nothing to send on.
    private static func adopt(_ query: LuaDNSQuery?, _ r: Result<Channel, Error>) -> Channel? {
        guard case .success(let ch) = r else { return nil }
        guard let query, query.done != nil else {
            ch.close(promise: nil)
            return nil
        }
        query.channels.append(ch)
        return ch
    }

    private func end(_ r: Result<(addrs: [String], ttl: Int), LuaUDPError>) {
        guard let d = done else { return }
        done = nil
        for t in timers { t.cancel() }
        timers = []
        for c in channels { c.close(promise: nil) }
        channels = []
        d(r)
    }
}
