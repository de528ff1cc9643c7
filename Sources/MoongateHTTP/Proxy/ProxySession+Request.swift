import MoongateCore
import NIOCore

extension ProxySession {
    /// Headers nginx's proxy module sets itself; client headers with these names are not
    /// passed (`Host $proxy_host`, `Connection close`, and the body/hop-by-hop ones).
    static let managed: Set<String> = [
        "host", "connection", "content-length", "transfer-encoding", "te", "keep-alive", "expect", "upgrade",
    ]

    /// The request to the upstream (nginx's `ngx_http_proxy_create_request`).
    func buildRequest() -> ByteBuffer {
        let method = conf.method?.evaluate(r) ?? r.method
        let passBody = conf.passRequestBody ?? true
        let hasBody = passBody && (r.head.contentLength != nil || r.head.chunked || r.body.replaced) && !streaming
        let userSet = conf.userSets
        var buf = r.connection.allocator.buffer(
            capacity: 256 + r.head.rawHeader.count + (hasBody ? r.body.data.count : 0))
        buf.writeString(method)
        buf.writeStaticString(" ")
        buf.writeClientString(target.uri)
        buf.writeStaticString(conf.effHTTPVersion == 11 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n")
        func line(_ n: String, _ v: String) {
            guard !v.isEmpty else { return }
            buf.writeClientString(n)
            buf.writeStaticString(": ")
            buf.writeClientString(v)
            buf.writeStaticString("\r\n")
        }
        for (name, value) in conf.setHeaders ?? [] { line(name, value.evaluate(r)) }
        if !userSet.host { line("Host", target.proxyHost) }
        if !userSet.connection { line("Connection", "close") }
        if hasBody && !userSet.contentLength { line("Content-Length", String(r.body.data.count)) }
        if streaming {
            if streamChunked {
                if !userSet.transferEncoding { line("Transfer-Encoding", "chunked") }
            } else if let cl = r.head.contentLength, !userSet.contentLength {
                line("Content-Length", String(cl))
            }
        }
        if conf.passRequestHeaders ?? true {
            let skip = conf.requestSkipNames
            for h in r.head.headers where !HeaderNameSet.withBytes(h.name, { skip.contains($0) }) {
                buf.writeClientString(h.name)
                buf.writeStaticString(": ")
                buf.writeClientString(h.value)
                buf.writeStaticString("\r\n")
            }
        }
        buf.writeStaticString("\r\n")
        if hasBody { buf.writeBytes(r.body.data) }
        return buf
    }
}

extension ByteBuffer {
    /// Writes a string that may carry client bytes that are not UTF-8 (LogBytes): they go
    /// upstream as the client sent them, as nginx passes bytes.
    mutating func writeClientString(_ s: String) {
        LogBytes.withBytes(s) { _ = writeBytes($0) }
    }
}
