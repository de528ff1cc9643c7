import MoongateCore
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// DNS messages for `LuaResolver`: queries out, answers in (A and AAAA).
enum LuaDNSClient {
    final class Handler: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let onReply: ([UInt8]) -> Void
        init(_ f: @escaping ([UInt8]) -> Void) { onReply = f }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            onReply(Array(unwrapInboundIn(data).data.readableBytesView))
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {}
    }

    /// DNS over TCP (RFC 1035 4.2.2): each message behind its two-byte length.
    final class TCPHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let onReply: ([UInt8]) -> Void
        private var pending: [UInt8] = []
        init(_ f: @escaping ([UInt8]) -> Void) { onReply = f }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            pending += unwrapInboundIn(data).readableBytesView
            while pending.count >= 2 {
                let n = Int(pending[0]) << 8 | Int(pending[1])
                guard pending.count >= 2 + n else { break }
                let message = Array(pending[2..<(2 + n)])
                pending.removeFirst(2 + n)
                onReply(message)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            context.close(promise: nil)
        }
    }

    /// Whether a reply to query `id` came truncated (the TC bit): nginx then asks the
    /// same server again over TCP (ngx_resolver_send_tcp_query).
    static func truncated(_ p: [UInt8], id: UInt16) -> Bool {
        p.count >= 4 && UInt16(p[0]) << 8 | UInt16(p[1]) == id && p[2] & 0x80 != 0 && p[2] & 0x02 != 0
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
