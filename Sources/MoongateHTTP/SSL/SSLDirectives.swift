import CMoongate
import MoongateConfig
import MoongateCore
import NIOSSL

/// nginx's ngx_http_ssl_module: the `ssl_*` directives, and in postconfiguration the
/// certificates loaded and the check that every `listen ... ssl` has one.
enum SSLDirectives {
    static let moduleKey = "ssl"

    /// The settings of the block being read (http level or the current server).
    static func conf(_ c: BuildContext) -> ServerSSLConfig {
        if let s = c.server { return s.ssl }
        let http = c.http!
        if let h = http.moduleConf[moduleKey] as? ServerSSLConfig { return h }
        let h = ServerSSLConfig()
        http.moduleConf[moduleKey] = h
        return h
    }

    /// A path as nginx's `ngx_conf_full_name(cycle, name, 1)`: relative to the conf dir.
    static func confPath(_ p: String, _ c: BuildContext) -> String {
        if p.hasPrefix("/") { return p }
        return c.cycle.confDirectory + "/" + p
    }

    static func registerAll() {
        let R = DirectiveRegistry.register
        let ctx: DirectiveContext = [.http, .server]
        R(DirectiveSpec("ssl_certificate", ctx, .exactly(1))) { d, c in
            let s = conf(c)
            // The first pair serves; nginx's further ones (other key types) are checked only.
            if s.certificate == nil {
                s.certificate = confPath(d.args[0].value, c)
                s.certificateLocation = d.location
                s.certificateAsWritten = d.args[0].value
            }
        }
        R(DirectiveSpec("ssl_certificate_key", ctx, .exactly(1))) { d, c in
            let s = conf(c)
            if s.certificateKey == nil { s.certificateKey = confPath(d.args[0].value, c) }
        }
        R(DirectiveSpec("ssl_protocols", ctx, .atLeast(1))) { d, c in
            let known = ["SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
            for a in d.args where !known.contains(a.value) {
                throw ConfigError("invalid value \"\(a.value)\"", at: d.location)
            }
            conf(c).protocols = d.args.map(\.value)
        }
        R(DirectiveSpec("ssl_ciphers", ctx, .exactly(1))) { d, c in conf(c).ciphers = d.args[0].value }
        R(DirectiveSpec("ssl_prefer_server_ciphers", ctx, .flag)) { d, c in
            conf(c).preferServerCiphers = d.flagValue
        }
        R(DirectiveSpec("ssl_session_tickets", ctx, .flag)) { d, c in conf(c).sessionTickets = d.flagValue }
        R(DirectiveSpec("ssl_session_timeout", ctx, .exactly(1))) { d, c in
            guard let ms = ConfUnits.milliseconds(d.args[0].value) else {
                throw ConfigError("\"ssl_session_timeout\" directive invalid value", at: d.location)
            }
            conf(c).sessionTimeoutMsec = ms
        }
        R(DirectiveSpec("ssl_session_cache", ctx, .atLeast(1))) { d, c in
            for a in d.args where !validSessionCache(a.value) {
                throw ConfigError("invalid session cache \"\(a.value)\"", at: d.location)
            }
            conf(c).sessionCache = d.args.map(\.value).joined(separator: " ")
        }
        // nginx 1.22 still takes `ssl on` (every listen of the server speaks TLS).
        R(DirectiveSpec("ssl", ctx, .flag)) { d, c in
            c.cycle.warnings.append(
                ConfigError("the \"ssl\" directive is deprecated, use the \"listen ... ssl\" directive instead",
                            at: d.location))
            conf(c).enabled = d.flagValue
        }
        R(DirectiveSpec("ssl_reject_handshake", ctx, .flag)) { d, c in conf(c).rejectHandshake = d.flagValue }
        // Accepted with a warning: they tune what BoringSSL decides itself (OCSP stapling,
        // record sizes, 0-RTT). Client-certificate directives stay unknown on purpose:
        // accepting them would let unauthenticated clients in.
        for name in ["ssl_stapling", "ssl_stapling_verify", "ssl_early_data"] {
            R(DirectiveSpec(name, ctx, .flag)) { d, c in
                c.cycle.warnings.append(ConfigError("\"\(d.name)\" directive is ignored by moongate", at: d.location))
            }
        }
        for name in ["ssl_trusted_certificate", "ssl_buffer_size", "ssl_stapling_file", "ssl_stapling_responder"] {
            R(DirectiveSpec(name, ctx, .exactly(1))) { d, c in
                c.cycle.warnings.append(ConfigError("\"\(d.name)\" directive is ignored by moongate", at: d.location))
            }
        }
        // Accepted: BoringSSL picks its curves and has no finite-field DH.
        R(DirectiveSpec("ssl_ecdh_curve", ctx, .exactly(1))) { _, _ in }
        R(DirectiveSpec("ssl_dhparam", ctx, .exactly(1))) { _, _ in }
        DirectiveRegistry.onPostConfiguration(postConfiguration)
    }

    /// `off`, `none`, `builtin[:size]`, `shared:name:size`.
    static func validSessionCache(_ v: String) -> Bool {
        if v == "off" || v == "none" || v == "builtin" { return true }
        if v.hasPrefix("builtin:") { return Int(v.dropFirst(8)) != nil }
        if v.hasPrefix("shared:") {
            let parts = v.split(separator: ":", omittingEmptySubsequences: false)
            return parts.count == 3 && !parts[1].isEmpty && ConfUnits.size(String(parts[2])) != nil
        }
        return false
    }

    static func postConfiguration(_ cycle: CycleConfig) throws {
        guard let http = cycle.http else { return }
        let top = http.moduleConf[moduleKey] as? ServerSSLConfig ?? ServerSSLConfig()
        var made: [String: NIOSSLContext] = [:]
        for s in http.servers {
            s.ssl.merge(from: top)
            guard s.ssl.certificate != nil else { continue }
            s.ssl.context = try SSLContextFactory.serverContext(s.ssl, cache: &made)
        }
        for g in http.listenGroups where !g.listen.ssl {
            if g.servers.contains(where: { $0.ssl.enabled || (top.enabled && !$0.ssl.enabledSet) }) {
                g.listen.ssl = true
            }
        }
        for g in http.listenGroups where g.listen.ssl {
            if g.defaultServer.ssl.context == nil && g.defaultServer.ssl.rejectHandshake != true {
                throw ConfigError(
                    "no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive in "
                        + "\(g.defaultServer.location)", at: nil)
            }
        }
    }
}
