import NIOCore

extension ProxySession {
    /// Headers nginx's proxy module sets itself; client headers with these names are not
    /// passed (`Host $proxy_host`, `Connection close`, and the body/hop-by-hop ones).
    static let managed: Set<String> = [
        "host", "connection", "content-length", "transfer-encoding", "te", "keep-alive", "expect", "upgrade",
    ]

    /// The request to the upstream (nginx's `ngx_http_proxy_create_request`).
    func buildRequest() -> ByteBuffer {
        var out = ""
        let method = conf.method?.evaluate(r) ?? r.method
        out += "\(method) \(target.uri) HTTP/\(conf.effHTTPVersion == 11 ? "1.1" : "1.0")\r\n"
        var skip = ProxySession.managed
        var lines: [(String, String)] = []
        for (name, value) in conf.setHeaders ?? [] {
            skip.insert(name.lowercased())
            lines.append((name, value.evaluate(r)))
        }
        let userSet = Set((conf.setHeaders ?? []).map { $0.0.lowercased() })
        if !userSet.contains("host") { lines.append(("Host", target.proxyHost)) }
        if !userSet.contains("connection") { lines.append(("Connection", "close")) }
        let passBody = conf.passRequestBody ?? true
        let hasBody = passBody && (r.head.contentLength != nil || r.head.chunked || r.body.replaced) && !streaming
        if hasBody && !userSet.contains("content-length") {
            lines.append(("Content-Length", String(r.body.data.count)))
        }
        if streaming {
            if streamChunked {
                if !userSet.contains("transfer-encoding") { lines.append(("Transfer-Encoding", "chunked")) }
            } else if let cl = r.head.contentLength, !userSet.contains("content-length") {
                lines.append(("Content-Length", String(cl)))
            }
        }
        for (n, v) in lines where !v.isEmpty { out += "\(n): \(v)\r\n" }
        if conf.passRequestHeaders ?? true {
            for h in r.head.headers where !skip.contains(h.name.lowercased()) {
                out += "\(h.name): \(h.value)\r\n"
            }
        }
        out += "\r\n"
        var buf = r.connection.allocator.buffer(capacity: out.utf8.count + (hasBody ? r.body.data.count : 0))
        buf.writeString(out)
        if hasBody { buf.writeBytes(r.body.data) }
        return buf
    }
}
