import MoongateConfig
import MoongateCore
#if canImport(Glibc)
import Glibc
#endif

/// The directive tables of nginx's proxy and upstream modules.
enum ProxyDirectives {
    static func registerAll() {
        registerProxy()
        registerUpstream()
        ProxyVariables.register()
        ProxySSLConf.register(DirectiveRegistry.register)
        ProxyBufferDirectives.register()
        DirectiveRegistry.onPostConfiguration(resolve)
        DirectiveRegistry.onPostConfiguration(ProxyBufferDirectives.check)
    }

    static func conf(_ c: BuildContext) -> ProxyLocConf { ProxyLocConf.get(c.loc!) }

    static func msec(_ d: ConfDirective, _ i: Int = 0) throws -> Int {
        guard let v = ConfUnits.milliseconds(d.args[i].value) else {
            throw ConfigError("\"\(d.name)\" directive invalid value", at: d.location)
        }
        return v
    }

    static func registerProxy() {
        let R = DirectiveRegistry.register
        let all: DirectiveContext = [.http, .server, .location]
        R(DirectiveSpec("proxy_pass", [.location, .locationIf], .exactly(1))) { d, c in
            let l = c.loc!
            let pc = conf(c)
            if pc.pass != nil {
                throw ConfigError("\"proxy_pass\" directive is duplicate", at: d.location)
            }
            switch l.match {
            case .regex, .named, .ifBlock: pc.noURIAllowed = true
            default: break
            }
            var owner: LocationConfig? = l
            while let o = owner, case .ifBlock = o.match { owner = o.parent }
            pc.locationPrefix = owner?.prefixString
            let url = d.args[0].value
            pc.passText = url
            if url.contains("$") {
                pc.pass = .variable(try ComplexValue(url, at: d.location))
            } else {
                guard let u = ProxyURL.parse(url) else {
                    throw ConfigError("invalid URL prefix in \"\(url)\"", at: d.location)
                }
                if u.uri != nil && pc.noURIAllowed {
                    throw ConfigError(
                        "\"proxy_pass\" cannot have URI part in location given by regular expression, "
                            + "or inside named location, or inside \"if\" statement, or inside \"limit_except\" block",
                        at: d.location)
                }
                pc.pass = .fixed(upstreamName: u.portGiven ? nil : u.host, host: u.host, port: u.port, uri: u.uri)
                pc.passSSL = u.ssl
            }
            l.contentHandler = ProxyHandler(location: l, conf: pc)
            UpstreamRegistry.of(c.http!).pendingPasses.append((pc, d.location))
        }
        R(DirectiveSpec("proxy_set_header", all, .exactly(2))) { d, c in
            let pc = conf(c)
            var list = pc.setHeaders ?? []
            list.append((d.args[0].value, try ComplexValue(d.args[1].value, at: d.location)))
            pc.setHeaders = list
        }
        R(DirectiveSpec("proxy_hide_header", all, .exactly(1))) { d, c in
            let pc = conf(c)
            pc.hideHeaders = (pc.hideHeaders ?? []) + [d.args[0].value.lowercased()]
        }
        R(DirectiveSpec("proxy_pass_header", all, .exactly(1))) { d, c in
            let pc = conf(c)
            pc.passHeaders = (pc.passHeaders ?? []) + [d.args[0].value.lowercased()]
        }
        let flags: [(String, ReferenceWritableKeyPath<ProxyLocConf, Bool?>)] = [
            ("proxy_pass_request_headers", \.passRequestHeaders), ("proxy_pass_request_body", \.passRequestBody),
            ("proxy_buffering", \.buffering), ("proxy_intercept_errors", \.interceptErrors),
            ("proxy_ignore_client_abort", \.ignoreClientAbort), ("proxy_request_buffering", \.requestBuffering),
        ]
        for (name, kp) in flags {
            R(DirectiveSpec(name, all, .flag)) { d, c in conf(c)[keyPath: kp] = d.flagValue }
        }
        for name in ["proxy_socket_keepalive", "proxy_redirect_errors"] {
            R(DirectiveSpec(name, all, .flag)) { _, _ in }
        }
        R(DirectiveSpec("proxy_http_version", all, .exactly(1))) { d, c in
            switch d.args[0].value {
            case "1.0": conf(c).httpVersion = 10
            case "1.1": conf(c).httpVersion = 11
            default:
                throw ConfigError("invalid value \"\(d.args[0].value)\"", at: d.location)
            }
        }
        let times: [(String, ReferenceWritableKeyPath<ProxyLocConf, Int?>)] = [
            ("proxy_connect_timeout", \.connectTimeout), ("proxy_send_timeout", \.sendTimeout),
            ("proxy_read_timeout", \.readTimeout), ("proxy_next_upstream_timeout", \.nextUpstreamTimeout),
        ]
        for (name, kp) in times {
            R(DirectiveSpec(name, all, .exactly(1))) { d, c in conf(c)[keyPath: kp] = try msec(d) }
        }
        R(DirectiveSpec("proxy_next_upstream_tries", all, .exactly(1))) { d, c in
            guard let n = Int(d.args[0].value), n >= 0 else {
                throw ConfigError("invalid number \"\(d.args[0].value)\"", at: d.location)
            }
            conf(c).nextUpstreamTries = n
        }
        R(DirectiveSpec("proxy_next_upstream", all, .atLeast(1))) { d, c in
            var set: NextUpstream = []
            for a in d.values {
                if a == "off" {
                    set = []
                    continue
                }
                guard let f = NextUpstream.names[a] else {
                    throw ConfigError("invalid value \"\(a)\"", at: d.location)
                }
                set.insert(f)
            }
            conf(c).nextUpstream = set
        }
        R(DirectiveSpec("proxy_redirect", all, .oneOf([1, 2]))) { d, c in
            let pc = conf(c)
            if d.args.count == 1 {
                switch d.args[0].value {
                case "off": pc.redirects = [.off]
                case "default": pc.redirects = (pc.redirects ?? []).filter { if case .off = $0 { false } else { true } } + [.defaultRule]
                default: throw ConfigError("invalid parameter \"\(d.args[0].value)\"", at: d.location)
                }
                return
            }
            let rule = ProxyRedirect.rule(
                from: try ComplexValue(d.args[0].value, at: d.location), to: try ComplexValue(d.args[1].value, at: d.location))
            pc.redirects = (pc.redirects ?? []).filter { if case .off = $0 { false } else { true } } + [rule]
        }
        R(DirectiveSpec("proxy_buffer_size", all, .exactly(1))) { d, c in
            guard let v = ConfUnits.size(d.args[0].value) else {
                throw ConfigError("\"proxy_buffer_size\" directive invalid value", at: d.location)
            }
            conf(c).bufferSize = v
        }
        R(DirectiveSpec("proxy_ignore_headers", all, .atLeast(1))) { d, c in
            let known: Set<String> = [
                "x-accel-redirect", "x-accel-expires", "x-accel-limit-rate", "x-accel-buffering", "x-accel-charset",
                "expires", "cache-control", "set-cookie", "vary",
            ]
            var set: Set<String> = []
            for v in d.values {
                guard known.contains(v.lowercased()) else {
                    throw ConfigError("invalid value \"\(v)\"", at: d.location)
                }
                set.insert(v.lowercased())
            }
            conf(c).ignoreHeaders = set
        }
        R(DirectiveSpec("proxy_bind", all, .oneOf([1, 2]))) { d, c in
            if d.args.count == 2 {
                guard d.args[1].value == "transparent" else {
                    throw ConfigError("invalid parameter \"\(d.args[1].value)\"", at: d.location)
                }
                throw ConfigError("\"proxy_bind ... transparent\" is not supported by moongate", at: d.location)
            }
            if d.args[0].value == "off" {
                conf(c).bind = .some(nil)
            } else {
                conf(c).bind = .some(try ComplexValue(d.args[0].value, at: d.location))
            }
        }
        R(DirectiveSpec("proxy_method", all, .exactly(1))) { d, c in
            conf(c).method = try ComplexValue(d.args[0].value, at: d.location)
        }
        for name in [
            "proxy_headers_hash_max_size", "proxy_headers_hash_bucket_size", "proxy_cache", "proxy_cache_valid",
            "proxy_cache_key",
        ] {
            R(DirectiveSpec(name, all, .atLeast(1))) { d, c in
                c.cycle.warnings.append(ConfigError("\"\(d.name)\" directive is ignored by moongate", at: d.location))
            }
        }
    }

    /// Finds the upstream each literal `proxy_pass` names (nginx's `ngx_http_upstream_add`).
    static func resolve(_ cycle: CycleConfig) throws {
        guard let http = cycle.http else { return }
        let reg = UpstreamRegistry.of(http)
        let items = reg.pendingPasses
        reg.pendingPasses = []
        ProxyHandler.registry = reg
        for (pc, loc) in items {
            guard case .fixed(let name, let host, let port, _) = pc.pass else { continue }
            if let name, let b = reg.blocks[name] {
                pc.upstream = b
                continue
            }
            guard let ip = resolveHost(host) else {
                throw ConfigError("host not found in upstream \"\(host)\"", at: loc)
            }
            pc.upstream = reg.implicitBlock(host: ip, port: port)
        }
    }

    /// An IP literal as is, `localhost`, or a name resolved once at configuration time.
    static func resolveHost(_ host: String) -> String? { resolveAll(host).first }

    /// Every IPv4 address of a name (nginx adds one peer per address), in resolver order.
    static func resolveAll(_ host: String) -> [String] {
        if ProxyURL.isIPLiteral(host) { return [host] }
        if host == "localhost" { return ["127.0.0.1"] }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(host, nil, &hints, &res) == 0 else { return [] }
        defer { freeaddrinfo(res) }
        var out: [String] = []
        var cur = res
        while let ai = cur {
            var buf = [CChar](repeating: 0, count: 64)
            var a = ai.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            inet_ntop(AF_INET, &a, &buf, 64)
            let ip = String(cString: buf)
            if !out.contains(ip) { out.append(ip) }
            cur = ai.pointee.ai_next
        }
        return out
    }
}
