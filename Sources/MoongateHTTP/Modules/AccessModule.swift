#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 network for `allow`/`deny`.
public struct IPNetwork {
    var addr: [UInt8]
    var mask: [UInt8]

    /// Parses `1.2.3.4`, `10.0.0.0/8`, `::1`, `fe80::/10`.
    public init?(_ s: String) {
        var ip = s
        var bits: Int? = nil
        if let slash = s.firstIndex(of: "/") {
            ip = String(s[..<slash])
            guard let b = Int(s[s.index(after: slash)...]) else { return nil }
            bits = b
        }
        if let a = IPNetwork.parse(ip) {
            addr = a
        } else {
            return nil
        }
        let total = addr.count * 8
        let b = bits ?? total
        guard b >= 0 && b <= total else { return nil }
        mask = (0..<addr.count).map { i in
            let rem = b - i * 8
            if rem >= 8 { return 0xFF }
            if rem <= 0 { return 0 }
            return UInt8(0xFF << (8 - rem) & 0xFF)
        }
        for i in 0..<addr.count { addr[i] &= mask[i] }
    }

    static func parse(_ s: String) -> [UInt8]? {
        var a4 = in_addr()
        if inet_pton(AF_INET, s, &a4) == 1 {
            return withUnsafeBytes(of: &a4) { Array($0) }
        }
        var a6 = in6_addr()
        if inet_pton(AF_INET6, s, &a6) == 1 {
            return withUnsafeBytes(of: &a6) { Array($0) }
        }
        return nil
    }

    /// Whether `ip` (a textual address) is inside.
    public func contains(_ ip: String) -> Bool {
        guard var a = IPNetwork.parse(ip) else { return false }
        if a.count == 16 && addr.count == 4 && a[0..<10].allSatisfy({ $0 == 0 }) && a[10] == 0xFF && a[11] == 0xFF {
            a = Array(a[12...])
        }
        guard a.count == addr.count else { return false }
        for i in 0..<a.count where a[i] & mask[i] != addr[i] { return false }
        return true
    }
}

enum AccessModule {
    /// First matching rule decides; no match allows.
    static func check(_ r: HTTPRequest, _ rules: [AccessRule]) -> Bool {
        let ip = r.connection.remoteAddress
        for rule in rules {
            if let n = rule.network {
                if n.contains(ip) { return rule.allow }
            } else {
                return rule.allow
            }
        }
        return true
    }
}
