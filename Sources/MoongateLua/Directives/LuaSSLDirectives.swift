import CMoongate
import MoongateConfig
import MoongateHTTP

/// ngx_lua's `lua_ssl_*` directives (the cosockets' TLS client settings).
enum LuaSSLDirectives {
    static func register(
        _ R: (DirectiveSpec, @escaping DirectiveHandler) -> Void, _ mainConf: @escaping (BuildContext) -> LuaMainConf
    ) {
        let ctx: DirectiveContext = [.http, .server, .location]
        R(DirectiveSpec("lua_ssl_trusted_certificate", ctx, .exactly(1))) { d, c in
            var path = d.args[0].value
            // ngx_conf_full_name(cycle, name, 1): relative to the conf directory.
            if !path.hasPrefix("/") { path = c.cycle.confDirectory + "/" + path }
            try SSLContextFactory.check { mg_ssl_check_ca(path, $0, $1) }
            LuaLocConf.setSocket(c, mainConf(c)) { $0.sslTrustedCertificate = path }
        }
        R(DirectiveSpec("lua_ssl_verify_depth", ctx, .exactly(1))) { d, c in
            guard let v = Int(d.args[0].value), v >= 0 else {
                throw ConfigError("invalid value \"\(d.args[0].value)\"", at: d.location)
            }
            LuaLocConf.setSocket(c, mainConf(c)) { $0.sslVerifyDepth = v }
        }
        R(DirectiveSpec("lua_ssl_protocols", ctx, .atLeast(1))) { d, c in
            let known = ["SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
            for a in d.args where !known.contains(a.value) {
                throw ConfigError("invalid value \"\(a.value)\"", at: d.location)
            }
            let protocols = d.args.map(\.value)
            LuaLocConf.setSocket(c, mainConf(c)) { $0.sslProtocols = protocols }
        }
        R(DirectiveSpec("lua_ssl_ciphers", ctx, .exactly(1))) { d, c in
            let v = d.args[0].value
            try SSLContextFactory.check { mg_ssl_check_ciphers(v, $0, $1) }
            LuaLocConf.setSocket(c, mainConf(c)) { $0.sslCiphers = v }
        }
    }
}
