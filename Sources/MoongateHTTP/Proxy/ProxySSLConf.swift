import CMoongate
import MoongateConfig
import MoongateCore

/// The `proxy_ssl_*` settings of a location (nginx's ngx_http_proxy_loc_conf_t ssl part),
/// kept apart from `ProxyLocConf` so the TLS part stays in its own files.
final class ProxySSLConf: MergeableModuleConf {
    static let key = "proxy_ssl"

    var serverName: Bool?
    var name: ComplexValue?
    var verify: Bool?
    var trustedCertificate: String?
    var verifyDepth: Int?
    var protocols: [String]?
    var ciphers: String?
    var sessionReuse: Bool?

    init() {}

    static func get(_ l: LocationConfig) -> ProxySSLConf {
        if let c = l.moduleConf[key] as? ProxySSLConf { return c }
        let c = ProxySSLConf()
        l.moduleConf[key] = c
        return c
    }

    static func of(_ l: LocationConfig) -> ProxySSLConf? { l.moduleConf[key] as? ProxySSLConf }

    func inherited() -> AnyObject {
        let c = ProxySSLConf()
        c.merge(from: self)
        return c
    }

    func merge(from parent: AnyObject) {
        guard let p = parent as? ProxySSLConf else { return }
        serverName = serverName ?? p.serverName
        name = name ?? p.name
        verify = verify ?? p.verify
        trustedCertificate = trustedCertificate ?? p.trustedCertificate
        verifyDepth = verifyDepth ?? p.verifyDepth
        protocols = protocols ?? p.protocols
        ciphers = ciphers ?? p.ciphers
        sessionReuse = sessionReuse ?? p.sessionReuse
    }

    /// What a TLS upstream connection of request `r` needs (nginx's
    /// ngx_http_upstream_ssl_init_connection / ngx_http_upstream_ssl_name).
    static func upstreamTLS(_ r: HTTPRequest, proxyHost: String) -> UpstreamTLS {
        let c = of(r.loc) ?? ProxySSLConf()
        var name = c.name?.evaluate(r) ?? proxyHost
        // The port goes (and a [v6] literal's brackets stay as nginx leaves them).
        if !name.hasPrefix("["), let colon = name.lastIndex(of: ":") { name = String(name[..<colon]) }
        let sni = (c.serverName ?? false) && !name.isEmpty && !TLSClient.isIPAddress(name) ? name : nil
        // nginx 1.22's proxy_ssl_protocols default has no TLSv1.3.
        let settings = TLSClient.Settings(
            protocols: c.protocols ?? ["TLSv1", "TLSv1.1", "TLSv1.2"], ciphers: c.ciphers)
        return UpstreamTLS(
            settings: settings, serverName: sni, verify: c.verify ?? false, name: name,
            trusted: c.trustedCertificate, depth: c.verifyDepth ?? 1, sessionReuse: c.sessionReuse ?? true)
    }

    /// nginx's ngx_http_proxy_set_ssl check, for every location whose proxy_pass may
    /// speak TLS (https:// or variables).
    static func check(_ cycle: CycleConfig) throws {
        func visit(_ l: LocationConfig) throws {
            if let pc = ProxyLocConf.of(l), let pass = pc.pass {
                var mayTLS = pc.passSSL
                if case .variable = pass { mayTLS = true }
                if mayTLS, let c = of(l), c.verify == true, c.trustedCertificate == nil {
                    throw ConfigError("no proxy_ssl_trusted_certificate for proxy_ssl_verify", at: nil)
                }
            }
            for c in l.children { try visit(c) }
            for c in l.named.values { try visit(c) }
        }
        for s in cycle.http?.servers ?? [] { try visit(s.serverLevel) }
    }

    static func register(_ R: (DirectiveSpec, @escaping DirectiveHandler) -> Void) {
        DirectiveRegistry.onPostConfiguration(check)
        let all: DirectiveContext = [.http, .server, .location]
        R(DirectiveSpec("proxy_ssl_server_name", all, .flag)) { d, c in get(c.loc!).serverName = d.flagValue }
        R(DirectiveSpec("proxy_ssl_name", all, .exactly(1))) { d, c in
            get(c.loc!).name = try ComplexValue(d.args[0].value, at: d.location)
        }
        R(DirectiveSpec("proxy_ssl_verify", all, .flag)) { d, c in get(c.loc!).verify = d.flagValue }
        R(DirectiveSpec("proxy_ssl_session_reuse", all, .flag)) { d, c in get(c.loc!).sessionReuse = d.flagValue }
        R(DirectiveSpec("proxy_ssl_verify_depth", all, .exactly(1))) { d, c in
            guard let v = Int(d.args[0].value), v >= 0 else {
                throw ConfigError("invalid value \"\(d.args[0].value)\"", at: d.location)
            }
            get(c.loc!).verifyDepth = v
        }
        R(DirectiveSpec("proxy_ssl_trusted_certificate", all, .exactly(1))) { d, c in
            var path = d.args[0].value
            if !path.hasPrefix("/") { path = c.cycle.confDirectory + "/" + path }
            try SSLContextFactory.check { mg_ssl_check_ca(path, $0, $1) }
            get(c.loc!).trustedCertificate = path
        }
        R(DirectiveSpec("proxy_ssl_protocols", all, .atLeast(1))) { d, c in
            let known = ["SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
            for a in d.args where !known.contains(a.value) {
                throw ConfigError("invalid value \"\(a.value)\"", at: d.location)
            }
            get(c.loc!).protocols = d.args.map(\.value)
        }
        R(DirectiveSpec("proxy_ssl_ciphers", all, .exactly(1))) { d, c in
            let v = d.args[0].value
            try SSLContextFactory.check { mg_ssl_check_ciphers(v, $0, $1) }
            get(c.loc!).ciphers = v
        }
    }
}

/// TLS to one upstream connection.
struct UpstreamTLS {
    var settings: TLSClient.Settings
    /// SNI (proxy_ssl_server_name on, not an IP address).
    var serverName: String?
    var verify: Bool
    /// The name the certificate must match (proxy_ssl_name, default the proxy host).
    var name: String
    var trusted: String?
    var depth: Int
    /// proxy_ssl_session_reuse (on by default).
    var sessionReuse = true

    /// Upstream keepalive connections are kept apart by it.
    var poolKey: String { "|ssl|" + (serverName ?? "") + "|" + name }
}

/// A TLS upstream connection that did not come up; `message` is nginx's log text.
struct UpstreamTLSError: Error {
    let message: String
    /// The handshake took longer than proxy_connect_timeout.
    let timeout: Bool
}
