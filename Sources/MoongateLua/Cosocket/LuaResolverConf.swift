import MoongateConfig
import MoongateCore
import MoongateHTTP
#if canImport(Glibc)
import Glibc
#endif

/// nginx's `resolver` and `resolver_timeout` at one level (http, server, location): each
/// `resolver` directive is its own `LuaResolver` with its own cache; a level without one
/// inherits its parent's, and likewise the timeout.
final class LuaResolverConf: MergeableModuleConf {
    var resolver: LuaResolver?
    var timeoutMs: Int?

    /// nginx's default `resolver_timeout`.
    static let defaultTimeoutMs = 30_000
    /// The http level's settings (timers, which have no location) and the last
    /// `resolver` read (proxy_pass, which asks without a request), for the
    /// configuration being served.
    nonisolated(unsafe) static var httpLevel: LuaResolverConf?
    nonisolated(unsafe) static var lastDefined: LuaResolver?

    func inherited() -> AnyObject {
        let c = LuaResolverConf()
        c.resolver = resolver
        c.timeoutMs = timeoutMs
        return c
    }

    func merge(from parent: AnyObject) {
        guard let p = parent as? LuaResolverConf else { return }
        resolver = resolver ?? p.resolver
        timeoutMs = timeoutMs ?? p.timeoutMs
    }

    static func of(_ c: BuildContext) -> LuaResolverConf {
        guard let l = c.loc else {
            // Not reachable: the directives are allowed in http, server and location only.
            return LuaResolverConf()
        }
        if let r = l.moduleConf["resolver"] as? LuaResolverConf { return r }
        let r = LuaResolverConf()
        l.moduleConf["resolver"] = r
        return r
    }

    /// The resolver and timeout for the running request's location (a timer's: its
    /// creator's), else the http level's; nil without a `resolver`.
    static func forRunning() -> (resolver: LuaResolver, timeoutMs: Int)? {
        var conf = httpLevel
        let ctx = LuaRuntime.current
        if let loc = ctx?.request?.loc ?? ctx?.timerLoc {
            conf = loc.moduleConf["resolver"] as? LuaResolverConf
        }
        guard let res = conf?.resolver, !res.servers.isEmpty else { return nil }
        return (res, conf?.timeoutMs ?? defaultTimeoutMs)
    }

    /// Lets proxy_pass with variables resolve names through its location's resolver
    /// (without a location: the http level's, else the last one defined).
    static func installForProxy() {
        NameResolution.resolve = { host, done in
            let conf = httpLevel
            guard let res = conf?.resolver ?? lastDefined else { return false }
            return proxyResolve(res, conf?.timeoutMs, host, done)
        }
        NameResolution.resolveIn = { loc, host, done in
            let conf = loc.moduleConf["resolver"] as? LuaResolverConf
            guard let res = conf?.resolver else { return false }
            return proxyResolve(res, conf?.timeoutMs, host, done)
        }
    }

    /// nginx's proxy error line wants the "3: Host not found" part alone.
    private static func proxyResolve(
        _ res: LuaResolver, _ timeoutMs: Int?, _ host: String, _ done: @escaping (String?, String?) -> Void
    ) -> Bool {
        guard !res.servers.isEmpty else { return false }
        res.resolve(host, timeoutMs: timeoutMs ?? defaultTimeoutMs) { result in
            switch result {
            case .success(let addrs): done(addrs.first, addrs.first == nil ? "3: Host not found" : nil)
            case .failure(let e):
                var m = Substring(e.message)
                if let open = m.lastIndex(of: "("), m.hasSuffix(")") {
                    m = m[m.index(after: open)..<m.index(before: m.endIndex)]
                }
                done(nil, String(m))
            }
        }
        return true
    }

    /// Registers the directives.
    static func register() {
        installForProxy()
        let R = DirectiveRegistry.register
        R(DirectiveSpec("resolver", [.http, .server, .location], .atLeast(1))) { d, c in
            var servers: [(host: String, port: Int)] = []
            var valid: Int?
            var ipv6 = true
            for a in d.args.map(\.value) {
                if a.hasPrefix("valid=") {
                    // ngx_parse_time in seconds: no "ms".
                    let text = String(a.dropFirst(6))
                    guard !text.contains("ms"), let v = ConfUnits.milliseconds(text, allowYearsMonths: true) else {
                        throw ConfigError("invalid parameter: \(a)", at: d.location)
                    }
                    valid = v
                } else if a.hasPrefix("ipv6=") {
                    let v = a.dropFirst(5)
                    guard v == "on" || v == "off" else {
                        throw ConfigError("invalid parameter: \(a)", at: d.location)
                    }
                    ipv6 = v == "on"
                } else if a.hasPrefix("status_zone=") {
                    continue
                } else {
                    guard let s = parseServer(a) else {
                        throw ConfigError("host not found in resolver \"\(a)\"", at: d.location)
                    }
                    servers.append(s)
                }
            }
            let conf = of(c)
            if conf.resolver != nil {
                throw ConfigError("\"resolver\" directive is duplicate", at: d.location)
            }
            let res = LuaResolver(servers: servers, validMs: valid, ipv6: ipv6)
            conf.resolver = res
            // Per configuration: a reload without any resolver must not keep the old one.
            c.cycle.moduleConf["resolver.last"] = res
        }
        R(DirectiveSpec("resolver_timeout", [.http, .server, .location], .exactly(1))) { d, c in
            guard let v = ConfUnits.milliseconds(d.args[0].value) else {
                throw ConfigError("\"resolver_timeout\" directive invalid value", at: d.location)
            }
            let conf = of(c)
            if conf.timeoutMs != nil {
                throw ConfigError("\"resolver_timeout\" directive is duplicate", at: d.location)
            }
            conf.timeoutMs = v
        }
        DirectiveRegistry.onPostConfiguration { cycle in
            httpLevel = cycle.http?.httpLevel.moduleConf["resolver"] as? LuaResolverConf
            lastDefined = cycle.moduleConf["resolver.last"] as? LuaResolver
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
