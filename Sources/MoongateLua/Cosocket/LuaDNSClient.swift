import MoongateCore
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// An asynchronous DNS client on the worker's loop (nginx's resolver as cosockets use
/// it): A (then AAAA with `ipv6=on`) queries over UDP to the first `resolver`, answers
/// cached for their TTL or `valid=`, concurrent lookups of one name shared.
enum LuaDNSClient {
    nonisolated(unsafe) private static var cache: [String: (addrs: [String], expires: Int64)] = [:]
    nonisolated(unsafe) private static var waiting: [String: [(Result<[String], LuaUDPError>) -> Void]] = [:]

    /// Resolves `name`; `done` gets the addresses or nginx's error text
    /// (`could not be resolved (3: Host not found)`).
    static func resolve(_ name: String, conf: LuaResolverConf, _ done: @escaping (Result<[String], LuaUDPError>) -> Void) {
        let key = name.lowercased()
        if let c = cache[key], c.expires > LuaTimerHeap.nowMsec {
            done(.success(c.addrs))
            return
        }
        if waiting[key] != nil {
            waiting[key]!.append(done)
            return
        }
        waiting[key] = [done]
        query(key, type: 1, conf: conf) { r in
            if case .failure(let e) = r, conf.ipv6, e.message.hasSuffix("(3: Host not found)") {
                query(key, type: 28, conf: conf) { finish(name, key, $0, conf) }
                return
            }
            finish(name, key, r, conf)
        }
    }

    private static func finish(_ name: String, _ key: String, _ r: Result<(addrs: [String], ttl: Int), LuaUDPError>, _ conf: LuaResolverConf) {
        let waiters = waiting.removeValue(forKey: key) ?? []
        let out: Result<[String], LuaUDPError>
        switch r {
        case .success(let a):
            let ttl = conf.validMs ?? a.ttl * 1000
            cache[key] = (a.addrs, LuaTimerHeap.nowMsec + Int64(ttl))
            out = .success(a.addrs)
        case .failure(let e):
            out = .failure(LuaUDPError(message: "\(name) \(e.message)"))
        }
        for w in waiters { w(out) }
    }

    private static func query(
        _ name: String, type: UInt16, conf: LuaResolverConf,
        _ done: @escaping (Result<(addrs: [String], ttl: Int), LuaUDPError>) -> Void
    ) {
        guard let server = conf.servers.first, let loop = LuaScheduler.loop,
            let address = try? SocketAddress(ipAddress: server.host, port: server.port)
        else {
            done(.failure(LuaUDPError(message: "could not be resolved (2: Server failure)")))
            return
        }
        let id = UInt16.random(in: 0...UInt16.max)
        let packet = encode(name, id: id, type: type)
        var finished = false
        var channel: Channel?
        let timer = LuaTimerHeap.add(ms: conf.timeoutMs) {
            guard !finished else { return }
            finished = true
            channel?.close(promise: nil)
            done(.failure(LuaUDPError(message: "could not be resolved (110: Operation timed out)")))
        }
        let handler = Handler { bytes in
            guard !finished, let r = decode(bytes, id: id, type: type) else { return }
            finished = true
            timer.cancel()
            channel?.close(promise: nil)
            done(r)
        }
        DatagramBootstrap(group: loop)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(handler) }
            }
            .connect(to: address)
            .whenComplete { r in
                switch r {
                case .success(let ch):
                    if finished {
                        ch.close(promise: nil)
                        return
                    }
                    channel = ch
                    var b = ch.allocator.buffer(capacity: packet.count)
                    b.writeBytes(packet)
                    ch.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: b), promise: nil)
                case .failure:
                    guard !finished else { return }
                    finished = true
                    timer.cancel()
                    done(.failure(LuaUDPError(message: "could not be resolved (2: Server failure)")))
                }
            }
    }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let onReply: ([UInt8]) -> Void
        init(_ f: @escaping ([UInt8]) -> Void) { onReply = f }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            onReply(Array(unwrapInboundIn(data).data.readableBytesView))
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {}
    }

    static func encode(_ name: String, id: UInt16, type: UInt16) -> [UInt8] {
        var p: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") {
            let u = Array(label.utf8.prefix(63))
            p.append(UInt8(u.count))
            p += u
        }
        p += [0, UInt8(type >> 8), UInt8(type & 0xff), 0, 1]
        return p
    }

    /// Parses a reply; nil when it is not the answer to this query.
    static func decode(_ p: [UInt8], id: UInt16, type: UInt16) -> Result<(addrs: [String], ttl: Int), LuaUDPError>? {
        guard p.count >= 12, UInt16(p[0]) << 8 | UInt16(p[1]) == id, p[2] & 0x80 != 0 else { return nil }
        let rcode = Int(p[3] & 0x0f)
        if rcode != 0 {
            let text = [1: "Format error", 2: "Server failure", 3: "Host not found", 4: "Unimplemented", 5: "Operation refused"][rcode] ?? "Unknown error"
            return .failure(LuaUDPError(message: "could not be resolved (\(rcode): \(text))"))
        }
        let qd = Int(p[4]) << 8 | Int(p[5])
        let an = Int(p[6]) << 8 | Int(p[7])
        var i = 12
        func skipName() -> Bool {
            while i < p.count {
                let l = Int(p[i])
                if l == 0 {
                    i += 1
                    return true
                }
                if l & 0xc0 == 0xc0 {
                    i += 2
                    return true
                }
                i += 1 + l
            }
            return false
        }
        for _ in 0..<qd {
            guard skipName() else { return nil }
            i += 4
        }
        var addrs: [String] = []
        var ttl = Int.max
        for _ in 0..<an {
            guard skipName(), i + 10 <= p.count else { break }
            let t = UInt16(p[i]) << 8 | UInt16(p[i + 1])
            let rttl = Int(p[i + 4]) << 24 | Int(p[i + 5]) << 16 | Int(p[i + 6]) << 8 | Int(p[i + 7])
            let len = Int(p[i + 8]) << 8 | Int(p[i + 9])
            i += 10
            guard i + len <= p.count else { break }
            if t == type && t == 1 && len == 4 {
                addrs.append("\(p[i]).\(p[i + 1]).\(p[i + 2]).\(p[i + 3])")
                ttl = min(ttl, rttl)
            } else if t == type && t == 28 && len == 16 {
                var a = in6_addr()
                withUnsafeMutableBytes(of: &a) { raw in
                    for k in 0..<16 { raw[k] = p[i + k] }
                }
                var buf = [CChar](repeating: 0, count: 64)
                if inet_ntop(AF_INET6, &a, &buf, 64) != nil {
                    addrs.append(String(cString: buf))
                    ttl = min(ttl, rttl)
                }
            }
            i += len
        }
        if addrs.isEmpty { return .failure(LuaUDPError(message: "could not be resolved (3: Host not found)")) }
        return .success((addrs, ttl == Int.max ? 30 : ttl))
    }
}
