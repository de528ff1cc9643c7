import MoongateConfig
import MoongateCore
import MoongateHTTP
#if canImport(Glibc)
import Glibc
#endif

/// nginx's `resolver` and `resolver_timeout`, as cosockets use them. One setting per
/// configuration: the last `resolver` read wins (nginx keeps one per location).
final class LuaResolverConf {
    /// Name servers as "ip:port".
    var servers: [(host: String, port: Int)] = []
    /// `valid=`: overrides the answers' TTL (ms), nil to use the TTL.
    var validMs: Int?
    /// `ipv6=off` skips AAAA lookups.
    var ipv6 = true
    var timeoutMs = 30_000

    /// The configuration being served (set when a configuration is loaded).
    nonisolated(unsafe) static var current: LuaResolverConf?

    static func of(_ c: BuildContext) -> LuaResolverConf {
        if let r = c.cycle.moduleConf["resolver"] as? LuaResolverConf { return r }
        let r = LuaResolverConf()
        c.cycle.moduleConf["resolver"] = r
        current = r
        return r
    }

    /// Registers the directives.
    /// Lets proxy_pass with variables resolve names through this resolver.
    static func installForProxy() {
        NameResolution.resolve = { host, done in
            guard let conf = LuaResolverConf.current, !conf.servers.isEmpty else { return false }
            LuaDNSClient.resolve(host, conf: conf) { result in
                switch result {
                case .success(let addrs): done(addrs.first, addrs.first == nil ? "3: Host not found" : nil)
                case .failure(let e): done(nil, e.message)
                }
            }
            return true
        }
    }

    static func register() {
        installForProxy()
        let R = DirectiveRegistry.register
        R(DirectiveSpec("resolver", [.http, .server, .location], .atLeast(1))) { d, c in
            let r = of(c)
            r.servers = []
            for a in d.args.map(\.value) {
                if a.hasPrefix("valid=") {
                    guard let v = ConfUnits.milliseconds(String(a.dropFirst(6))) else {
                        throw ConfigError("invalid parameter \"\(a)\"", at: d.location)
                    }
                    r.validMs = v
                } else if a.hasPrefix("ipv6=") {
                    let v = a.dropFirst(5)
                    guard v == "on" || v == "off" else {
                        throw ConfigError("invalid parameter \"\(a)\"", at: d.location)
                    }
                    r.ipv6 = v == "on"
                } else if a.hasPrefix("status_zone=") {
                    continue
                } else {
                    guard let s = parseServer(a) else {
                        throw ConfigError("host not found in resolver \"\(a)\"", at: d.location)
                    }
                    r.servers.append(s)
                }
            }
        }
        R(DirectiveSpec("resolver_timeout", [.http, .server, .location], .exactly(1))) { d, c in
            guard let v = ConfUnits.milliseconds(d.args[0].value) else {
                throw ConfigError("\"resolver_timeout\" directive invalid value", at: d.location)
            }
            of(c).timeoutMs = v
        }
    }

    /// "1.2.3.4", "1.2.3.4:53", "[::1]:53", "localhost".
    static func parseServer(_ a: String) -> (host: String, port: Int)? {
        var host = a
        var port = 53
        if a.hasPrefix("[") {
            guard let close = a.firstIndex(of: "]") else { return nil }
            host = String(a[a.index(after: a.startIndex)..<close])
            let rest = a[a.index(after: close)...]
            if rest.hasPrefix(":") {
                guard let p = Int(rest.dropFirst()) else { return nil }
                port = p
            }
        } else if a.filter({ $0 == ":" }).count == 1, let i = a.firstIndex(of: ":") {
            host = String(a[..<i])
            guard let p = Int(a[a.index(after: i)...]) else { return nil }
            port = p
        }
        guard let ip = LuaHostResolver.resolve(host) ?? lookup(host) else { return nil }
        return (ip, port)
    }

    /// A resolver given by name: looked up once while the configuration is read (in
    /// the master, where blocking is fine), as nginx does.
    private static func lookup(_ host: String) -> String? {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &res) == 0, let first = res else { return nil }
        defer { freeaddrinfo(res) }
        var buf = [CChar](repeating: 0, count: 64)
        guard let sa = first.pointee.ai_addr else { return nil }
        let ok = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
            var a = sin.pointee.sin_addr
            return inet_ntop(AF_INET, &a, &buf, 64) != nil
        }
        return ok ? String(cString: buf) : nil
    }
}
