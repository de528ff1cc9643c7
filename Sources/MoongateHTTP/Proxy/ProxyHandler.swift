import MoongateCore

/// Where one request goes: the upstream, the URI and `$proxy_host`.
struct ProxyTarget {
    var block: UpstreamBlock
    var uri: String
    var proxyHost: String
    var proxyPort: Int
    /// `proxy_pass https://...`.
    var ssl = false
}

/// The content handler `proxy_pass` installs (nginx's `ngx_http_proxy_handler`).
final class ProxyHandler: PhaseHandler {
    static let shared = ProxyHandler()
    /// The location whose `proxy_pass` made this handler and its conf: a request there
    /// (nearly always) takes the conf without a keyed look-up and cast. Locations that
    /// inherit the handler (`if` blocks) have confs of their own, looked up.
    private let ownerID: ObjectIdentifier?
    private let ownerConf: ProxyLocConf?

    init() {
        ownerID = nil
        ownerConf = nil
    }

    init(location: LocationConfig, conf: ProxyLocConf) {
        ownerID = ObjectIdentifier(location)
        ownerConf = conf
    }
    /// The upstreams of the running configuration (for `proxy_pass` with variables).
    nonisolated(unsafe) static var registry: UpstreamRegistry?

    func handle(_ r: HTTPRequest) -> PhaseResult {
        let found = ownerID == ObjectIdentifier(r.loc) ? ownerConf : ProxyLocConf.of(r.loc)
        guard let conf = found else { return .status(500) }
        // A fixed proxy_pass (targetFor's first case, from the parts made once).
        let hot = conf.hot
        if let f = hot.fixedTarget {
            // (The block read into the target only: a local of it was one more retain.)
            guard conf.upstream != nil else { return .status(500) }
            // Made in the call (no copy of a local target), before conf and hot, which
            // are moved along.
            return start(
                r,
                ProxyTarget(
                    block: conf.upstream.unsafelyUnwrapped, uri: uri(r, conf, f.uriPart), proxyHost: f.proxyHost,
                    proxyPort: f.port, ssl: conf.passSSL),
                conf, hot)
        }
        guard let pass = conf.pass else { return .status(500) }
        switch targetFor(r, conf, pass) {
        case .success(let t):
            return start(r, t, conf, hot)
        case .failure(let f):
            guard let pending = f.resolve else { return .status(f.code) }
            // A host name in a variable: resolve it on the event loop first.
            let started = NameResolution.start(r.loc, pending.host) { [weak r] ip, err in
                guard let r, !r.finalized else { return }
                guard let ip else {
                    r.log(.error, "\(pending.host) could not be resolved (\(err ?? "3: Host not found"))")
                    r.finalize(502)
                    return
                }
                let reg = ProxyHandler.registry ?? UpstreamRegistry()
                var t = pending.target
                t.block = reg.implicitBlock(host: ip, port: t.proxyPort)
                _ = self.start(r, t, conf, hot)
            }
            if !started {
                r.log(.error, "no resolver defined to resolve \(pending.host)")
                return .status(502)
            }
            return .again
        }
    }

    /// (The conf and its constants are moved along into the session, as the target is: the
    /// caller's references become the session's, no retain and release of them.)
    private func start(
        _ r: HTTPRequest, _ target: consuming ProxyTarget, _ conf: consuming ProxyLocConf,
        _ hot: consuming ProxyLocHot
    ) -> PhaseResult {
        let session = ProxySession(request: r, conf: conf, hot: hot, target: target)
        r.moduleContexts.proxy = session
        // The session holds the request; dropping it here (after the log phase) breaks the
        // cycle. Strong on purpose, as the module context is: finalize runs and drops the
        // cleanups; a weak reference would give the session and the request side tables,
        // which make every retain and release of them the slow kind.
        r.cleanups.append {
            session.abort()
            session.r.moduleContexts.proxy = nil
        }
        session.watchClientAbort()
        if session.startStreaming() {
            session.start()
        } else if session.conf.passRequestBody ?? true, !r.body.complete {
            r.body.whenComplete { [weak r, weak session] in
                guard let r, !r.finalized else { return }
                session?.start()
            }
        } else {
            session.start()
        }
        return .again
    }

    struct Failure: Error {
        let code: Int
        /// Set when the target needs a name resolved first.
        var resolve: (host: String, target: ProxyTarget)? = nil
    }

    private func targetFor(_ r: HTTPRequest, _ conf: ProxyLocConf, _ pass: ProxyPassTarget) -> Result<ProxyTarget, Failure> {
        switch pass {
        case .fixed(let name, let host, let port, let uriPart):
            guard let block = conf.upstream else { return .failure(Failure(code: 500)) }
            let ssl = conf.passSSL
            let proxyHost = name ?? (port == (ssl ? 443 : 80) ? host : "\(host):\(port)")
            var t = ProxyTarget(block: block, uri: uri(r, conf, uriPart), proxyHost: proxyHost, proxyPort: port)
            t.ssl = ssl
            return .success(t)
        case .variable(let cv):
            let url = cv.evaluate(r)
            guard let u = ProxyURL.parse(url) else {
                r.log(.error, "invalid URL prefix in \"\(url)\"")
                return .failure(Failure(code: 500))
            }
            let proxyHost = u.portGiven ? "\(u.host):\(u.port)" : u.host
            let uri = u.uri ?? uri(r, conf, nil)
            if !u.portGiven, let b = ProxyHandler.registry?.blocks[u.host] {
                var t = ProxyTarget(block: b, uri: uri, proxyHost: proxyHost, proxyPort: u.port)
                t.ssl = u.ssl
                return .success(t)
            }
            let ip: String
            if ProxyURL.isIPLiteral(u.host) {
                ip = u.host
            } else if u.host == "localhost" {
                ip = "127.0.0.1"
            } else {
                let reg = ProxyHandler.registry ?? UpstreamRegistry()
                var placeholder = ProxyTarget(
                    block: reg.implicitBlock(host: "127.0.0.1", port: u.port), uri: uri, proxyHost: proxyHost,
                    proxyPort: u.port)
                placeholder.ssl = u.ssl
                return .failure(Failure(code: 502, resolve: (u.host, placeholder)))
            }
            let reg = ProxyHandler.registry ?? UpstreamRegistry()
            let b = reg.implicitBlock(host: ip, port: u.port)
            var t = ProxyTarget(block: b, uri: uri, proxyHost: proxyHost, proxyPort: u.port)
            t.ssl = u.ssl
            return .success(t)
        }
    }

    /// nginx's URI rules: with a URI part the matched location prefix is replaced; without,
    /// the client's URI goes as sent unless it was changed, then the normalized one.
    func uri(_ r: HTTPRequest, _ conf: ProxyLocConf, _ uriPart: String?) -> String {
        if let part = uriPart, r.validLocation, r.args == nil, let prefix = conf.locationPrefix, r.uri == prefix {
            // The whole URI is the location's (an exact one, as a rule) and there are no
            // arguments: the URI part alone (the general case below gives the same).
            return part
        }
        let argsSuffix = r.args.map { $0.isEmpty ? "" : "?" + $0 } ?? ""
        if let part = uriPart {
            let rewritten = !r.validLocation
            if rewritten { return ProxyHandler.escape(r.uri) + argsSuffix }
            let prefix = conf.locationPrefix ?? ""
            let rest = ProxyHandler.afterPrefix(r.uri, prefix)
            if rest.isEmpty && argsSuffix.isEmpty { return part }
            // nginx escapes the decoded URI only when the client's had escapes
            // (r->quoted_uri) or the request is internal; otherwise it goes as it came.
            var quoted = r.isInternal
            if !quoted {
                for b in r.head.rawURI.utf8 {
                    if b == UInt8(ascii: "?") { break }
                    if b == UInt8(ascii: "%") {
                        quoted = true
                        break
                    }
                }
            }
            return part + (quoted ? ProxyHandler.escape(rest) : rest) + argsSuffix
        }
        let changed = r.isInternal || r.initialURI != r.uri || r.initialArgs != r.args
        if !changed { return r.head.rawURI }
        return ProxyHandler.escape(r.uri) + argsSuffix
    }

    /// `uri` without the location prefix when it starts with it (Character-wise, as
    /// `hasPrefix` and `dropFirst`), else `uri`. An ASCII prefix whose bytes start `uri`,
    /// followed by an ASCII byte or nothing, is the same match found on the bytes.
    static func afterPrefix(_ uri: String, _ prefix: String) -> String {
        // The whole URI (an exact location's): equal Strings have the same Characters.
        if uri == prefix { return "" }
        var u = uri
        var p = prefix
        let fast: String?? = u.withUTF8 { ub in
            p.withUTF8 { pb -> String?? in
                guard pb.count <= ub.count else { return .some(nil) }
                for k in 0..<pb.count {
                    let b = pb[k]
                    if b >= 0x80 || ub[k] != b { return .some(nil) }
                }
                if pb.count == ub.count { return "" }
                if ub[pb.count] >= 0x80 { return .some(nil) }
                return String(decoding: UnsafeBufferPointer(rebasing: ub[pb.count...]), as: UTF8.self)
            }
        }
        if case .some(.some(let rest)) = fast { return rest }
        return uri.hasPrefix(prefix) ? String(uri.dropFirst(prefix.count)) : uri
    }

    /// nginx's `ngx_escape_uri(NGX_ESCAPE_URI)` for the path.
    static func escape(_ s: String) -> String {
        var out = ""
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        // The bytes of the decoded URI, those that are not UTF-8 included (LogBytes).
        let raw = LogBytes.withBytes(s) { Array($0) }
        for b in raw {
            if b <= 0x20 || b >= 0x7f || b == UInt8(ascii: "#") || b == UInt8(ascii: "%") || b == UInt8(ascii: "?")
                || b == UInt8(ascii: "\"")
            {
                bytes += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 15)]]
            } else {
                bytes.append(b)
            }
        }
        out = String(decoding: bytes, as: UTF8.self)
        return out
    }
}
