import NIOCore

extension ProxySession {
    /// `proxy_request_buffering off` (nginx's `r->request_body_no_buffering`): whether this
    /// request streams its body. nginx buffers anyway when the body already arrived, and
    /// when a chunked body would go to an HTTP/1.0 upstream.
    func startStreaming() -> Bool {
        guard !conf.effRequestBuffering, conf.passRequestBody ?? true, !r.body.complete else { return false }
        if r.head.chunked && conf.effHTTPVersion != 11 { return false }
        streaming = true
        streamChunked = r.head.chunked
        r.body.onData = { [weak self] in self?.pumpBody() }
        r.body.whenComplete { [weak self] in self?.pumpBody() }
        return true
    }

    /// Writes the body bytes that arrived since the last call, and the end of a chunked
    /// body once the client's body is complete.
    func pumpBody() {
        guard streaming, !bodyDone, let c = conn, stage == .sending || stage == .header || stage == .body else {
            return
        }
        let data = r.body.data
        var out = r.connection.allocator.buffer(capacity: data.count - bodySent + 16)
        if data.count > bodySent {
            let n = data.count - bodySent
            if streamChunked { out.writeString(String(n, radix: 16) + "\r\n") }
            out.writeBytes(data[bodySent...])
            if streamChunked { out.writeString("\r\n") }
            bodySent = data.count
        }
        if r.body.complete {
            bodyDone = true
            if streamChunked { out.writeString("0\r\n\r\n") }
        }
        guard out.readableBytes > 0 else { return }
        if !tries.isEmpty { tries[tries.count - 1].bytesSent += out.readableBytes }
        c.send(out) { _ in }
    }
}
