import MoongateCore

/// The upstream and proxy modules' variables: `$upstream_*` lists over tries and
/// `$proxy_host`, `$proxy_port`, `$proxy_add_x_forwarded_for`.
enum ProxyVariables {
    static func session(_ r: HTTPRequest) -> ProxySession? { r.moduleContexts.proxy }

    /// nginx's `$upstream_*` list: tries of one upstream joined by ", ", upstreams of
    /// one request (before and after an internal redirect) by " : ".
    static func list(_ r: HTTPRequest, _ f: (ProxyTry) -> String) -> String? {
        let states = r.upstreamStates
        guard !states.isEmpty else { return nil }
        var out = ""
        var i = 0
        while true {
            if states[i].hasPeer { out += f(states[i]) }
            i += 1
            if i == states.count { break }
            if states[i].hasPeer {
                out += ", "
            } else {
                out += " : "
                i += 1
                if i == states.count { break }
            }
        }
        return out
    }

    static func time(_ ms: Int) -> String { ms < 0 ? "-" : Variables.formatMsec(ms) }

    static func register() {
        Variables.register("upstream_addr") { r in list(r) { $0.addr } }
        Variables.register("upstream_status") { r in list(r) { $0.status == 0 ? "-" : String($0.status) } }
        Variables.register("upstream_response_time") { r in list(r) { time($0.responseTime) } }
        Variables.register("upstream_connect_time") { r in list(r) { time($0.connectTime) } }
        Variables.register("upstream_header_time") { r in list(r) { time($0.headerTime) } }
        Variables.register("upstream_bytes_received") { r in list(r) { String($0.bytesReceived) } }
        Variables.register("upstream_bytes_sent") { r in list(r) { String($0.bytesSent) } }
        Variables.register("proxy_host") { r in session(r)?.target.proxyHost }
        Variables.register("proxy_port") { r in session(r).map { String($0.target.proxyPort) } }
        Variables.register("proxy_add_x_forwarded_for") { r in
            let addr = r.connection.remoteAddress
            r.head.materializeHeaders()
            let xff = r.head.headers.filter { $0.name.lowercased() == "x-forwarded-for" }.map(\.value)
            return xff.isEmpty ? addr : xff.joined(separator: ", ") + ", " + addr
        }
        Variables.registerPrefix("upstream_http_") { r, n in
            let name = String(n.lowercased().map { $0 == "_" ? "-" : $0 })
            return session(r)?.head?.header(name)
        }
    }
}
