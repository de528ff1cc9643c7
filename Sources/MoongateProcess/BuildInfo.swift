import CMoongate

/// What `-V` prints after the version line, in nginx's words and order
/// (`ngx_show_version_info`): compiler, OpenSSL, SNI, configure arguments.
enum BuildInfo {
    /// The Swift compiler this binary was built with, as major.minor.
    static var compiler: String {
        #if compiler(>=6.5)
            return "swiftc 6.5 or later"
        #elseif compiler(>=6.4)
            return "swiftc 6.4"
        #elseif compiler(>=6.3)
            return "swiftc 6.3"
        #elseif compiler(>=6.2)
            return "swiftc 6.2"
        #elseif compiler(>=6.1)
            return "swiftc 6.1"
        #else
            return "swiftc 6.0"
        #endif
    }

    static func configureLines(prefix: String) -> [String] {
        var lines = ["built by \(compiler)"]
        let built = String(cString: mg_openssl_built_version())
        let running = String(cString: mg_openssl_running_version())
        if built == running {
            lines.append("built with \(built)")
        } else {
            lines.append("built with \(built) (running with \(running))")
        }
        lines.append(mg_openssl_has_sni() != 0 ? "TLS SNI support enabled" : "TLS SNI support disabled")
        // nginx's NGX_CONFIGURE starts with a space: "configure arguments: --prefix=...".
        lines.append(
            "configure arguments: --prefix=\(prefix) --with-http_ssl_module --with-pcre-jit --add-module=ngx_http_lua_module")
        return lines
    }
}
