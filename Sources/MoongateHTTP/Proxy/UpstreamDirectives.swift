import MoongateConfig
import MoongateCore

extension ProxyDirectives {
    /// Directives inside `upstream { }`, dispatched by the block itself because `server`
    /// means something else in `http`.
    nonisolated(unsafe) static var upstreamTable: [String: (DirectiveSpec, DirectiveHandler)] = [:]

    static func registerUpstream() {
        DirectiveRegistry.register(DirectiveSpec("upstream", .http, .exactly(1), block: .block)) { d, c in
            let http = c.http!
            let reg = UpstreamRegistry.of(http)
            let name = d.args[0].value
            if reg.blocks[name] != nil {
                throw ConfigError("duplicate upstream \"\(name)\"", at: d.location)
            }
            let b = UpstreamBlock(name: name, explicit: true, location: d.location)
            reg.blocks[name] = b
            let savedCtx = c.context
            let savedUp = c.upstream
            c.context = .upstream
            c.upstream = b
            defer {
                c.context = savedCtx
                c.upstream = savedUp
            }
            for child in d.block ?? [] {
                if let (spec, handler) = upstreamTable[child.name] {
                    try child.validate(against: spec, in: .upstream)
                    try handler(child, c)
                } else {
                    try ConfigLoader.walk([child], c)
                }
            }
            if b.peers.isEmpty {
                throw ConfigError("no servers are inside upstream", at: d.location)
            }
        }
        func U(_ spec: DirectiveSpec, _ h: @escaping DirectiveHandler) { upstreamTable[spec.name] = (spec, h) }
        func block(_ c: BuildContext) -> UpstreamBlock { c.upstream as! UpstreamBlock }
        U(DirectiveSpec("server", .upstream, .atLeast(1))) { d, c in
            guard let hp = ProxyURL.parseHostPort(d.args[0].value, defaultPort: 80) else {
                throw ConfigError("invalid host in upstream \"\(d.args[0].value)\"", at: d.location)
            }
            var weight = 1
            var maxFails = 1
            var failTimeout = 10_000
            var backup = false
            var down = false
            var maxConns = 0
            for a in d.values.dropFirst() {
                if a.hasPrefix("weight=") {
                    guard let w = Int(a.dropFirst(7)), w > 0 else {
                        throw ConfigError("invalid parameter \"\(a)\"", at: d.location)
                    }
                    weight = w
                } else if a.hasPrefix("max_fails=") {
                    guard let n = Int(a.dropFirst(10)), n >= 0 else {
                        throw ConfigError("invalid parameter \"\(a)\"", at: d.location)
                    }
                    maxFails = n
                } else if a.hasPrefix("fail_timeout=") {
                    guard let t = ConfUnits.milliseconds(String(a.dropFirst(13))) else {
                        throw ConfigError("invalid parameter \"\(a)\"", at: d.location)
                    }
                    failTimeout = t
                } else if a == "backup" {
                    switch block(c).method {
                    case .ipHash, .hash:
                        throw ConfigError("balancing method does not support parameter \"\(a)\"", at: d.location)
                    default:
                        backup = true
                    }
                } else if a == "down" {
                    down = true
                } else if a.hasPrefix("max_conns=") {
                    guard let n = Int(a.dropFirst(10)), n >= 0 else {
                        throw ConfigError("invalid parameter \"\(a)\"", at: d.location)
                    }
                    maxConns = n
                } else if a == "resolve" {
                    continue
                } else {
                    throw ConfigError("invalid parameter \"\(a)\"", at: d.location)
                }
            }
            let ips = resolveAll(hp.host)
            if ips.isEmpty {
                throw ConfigError("host not found in upstream \"\(d.args[0].value)\"", at: d.location)
            }
            for ip in ips {
                let peer = UpstreamPeer(
                    host: ip, port: hp.port, weight: weight, maxFails: maxFails, failTimeout: failTimeout,
                    backup: backup, down: down)
                peer.maxConns = maxConns
                peer.server = d.args[0].value
                block(c).peers.append(peer)
            }
        }
        U(DirectiveSpec("keepalive", .upstream, .exactly(1))) { d, c in
            if block(c).keepalive > 0 {
                throw ConfigError("\"keepalive\" directive is duplicate", at: d.location)
            }
            block(c).initUpstreamSet = true
            guard let n = Int(d.args[0].value), n > 0 else {
                throw ConfigError("invalid value \"\(d.args[0].value)\" in \"keepalive\" directive", at: d.location)
            }
            block(c).keepalive = n
        }
        U(DirectiveSpec("keepalive_requests", .upstream, .exactly(1))) { d, c in
            guard let n = Int(d.args[0].value), n >= 0 else {
                throw ConfigError("invalid number \"\(d.args[0].value)\"", at: d.location)
            }
            block(c).keepaliveRequests = n
        }
        U(DirectiveSpec("keepalive_timeout", .upstream, .exactly(1))) { d, c in
            block(c).keepaliveTimeout = try msec(d)
        }
        /// A balancing method replaces what was set before, `keepalive` included: nginx
        /// warns, and an earlier `keepalive` no longer caches connections.
        func setMethod(_ m: UpstreamMethod, _ d: ConfDirective, _ c: BuildContext) {
            let b = block(c)
            if b.initUpstreamSet {
                c.cycle.warnings.append(ConfigError("load balancing method redefined", at: d.location))
            }
            b.initUpstreamSet = true
            b.keepalive = 0
            b.method = m
        }
        U(DirectiveSpec("ip_hash", .upstream, .exactly(0))) { d, c in setMethod(.ipHash, d, c) }
        U(DirectiveSpec("least_conn", .upstream, .exactly(0))) { d, c in setMethod(.leastConn, d, c) }
        U(DirectiveSpec("hash", .upstream, .oneOf([1, 2]))) { d, c in
            let key = try ComplexValue(d.args[0].value, at: d.location)
            if d.args.count == 2 && d.args[1].value != "consistent" {
                throw ConfigError("invalid parameter \"\(d.args[1].value)\"", at: d.location)
            }
            setMethod(.hash(key, consistent: d.args.count == 2), d, c)
        }
    }
}
