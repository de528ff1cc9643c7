/// `http://host[:port][/uri]` as `proxy_pass` takes it (nginx's `ngx_parse_url`).
struct ProxyURL {
    var host: String
    var port: Int
    var portGiven: Bool
    /// The URI part, nil when none was written (`/` counts as one).
    var uri: String?
    /// `https://`.
    var ssl = false

    static func parse(_ url: String) -> ProxyURL? {
        let ssl = url.count > 8 && url.prefix(8).lowercased() == "https://"
        guard ssl || (url.count > 7 && url.prefix(7).lowercased() == "http://") else { return nil }
        var rest = Substring(url.dropFirst(ssl ? 8 : 7))
        var uri: String? = nil
        if let slash = rest.firstIndex(of: "/") {
            uri = String(rest[slash...])
            rest = rest[..<slash]
        }
        guard var hostPort = parseHostPort(String(rest), defaultPort: ssl ? 443 : 80) else { return nil }
        hostPort.uri = uri
        hostPort.ssl = ssl
        return hostPort
    }

    /// `host`, `host:port`, `[v6]:port`.
    static func parseHostPort(_ s: String, defaultPort: Int) -> ProxyURL? {
        var host = s
        var port = defaultPort
        var given = false
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { return nil }
            host = String(s[s.index(after: s.startIndex)..<close])
            let after = s[s.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), p > 0, p < 65536 else { return nil }
                port = p
                given = true
            }
        } else if let colon = s.lastIndex(of: ":") {
            host = String(s[..<colon])
            guard let p = Int(s[s.index(after: colon)...]), p > 0, p < 65536 else { return nil }
            port = p
            given = true
        }
        if host.isEmpty { return nil }
        return ProxyURL(host: host, port: port, portGiven: given, uri: nil)
    }

    static func isIPLiteral(_ h: String) -> Bool {
        let parts = h.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4 && parts.allSatisfy({ UInt8($0) != nil }) { return true }
        return h.contains(":") && h.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }
}
