import NIOCore

/// `proxy_request_buffering off` (nginx's unbuffered request body): the body goes to the
/// upstream as it arrives and is not kept. The client is read only while the upstream
/// connection can take writes; `proxy_send_timeout` runs while it cannot, between
/// successive writes, and `client_body_timeout` while the upstream waits for the client.
extension ProxySession {
    /// Whether this request streams its body. nginx buffers anyway when the body already
    /// arrived, and when a chunked body would go to an HTTP/1.0 upstream.
    func startStreaming() -> Bool {
        guard !conf.effRequestBuffering, conf.passRequestBody ?? true, !r.body.complete else { return false }
        if r.head.chunked && conf.effHTTPVersion != 11 { return false }
        streaming = true
        streamChunked = r.head.chunked
        // From here the connection keeps the bytes in its buffer until the sink is set.
        r.body.streaming = true
        r.body.chunkedTotal = r.body.chunkSizes.reduce(0, +)
        r.body.chunkSizes = []
        r.body.whenComplete { [weak self] in self?.bodyEnded() }
        return true
    }

    /// What follows the head in the first write: the body bytes that arrived before
    /// streaming started (kept in `r.body.data` until the head went, for a retry).
    func streamPrefix(into out: inout ByteBuffer) {
        let data = r.body.data
        if !data.isEmpty {
            if streamChunked { out.writeString(String(data.count, radix: 16) + "\r\n") }
            out.writeBytes(data)
            if streamChunked { out.writeStaticString("\r\n") }
        }
    }

    /// The head went out: from now on the body is forwarded and dropped.
    func openBodyFlow() {
        guard streaming, !bodyDone, stage != .done, let c = conn else { return }
        r.body.data = []
        if r.body.complete {
            bodyEnded()
        } else if c.isWritable {
            attachSink()
        } else {
            armSendTimeout()
        }
    }

    /// Lets the client be read again; waiting for the client is client_body_timeout's.
    func attachSink() {
        guard !bodyDone else { return }
        r.body.sink = { [weak self] b in self?.forward(b) }
        timer?.disarm()
        r.connection.resumeBody()
    }

    /// Body bytes from the client: written at once; a full upstream stops the client.
    func forward(_ b: ByteBuffer) {
        guard streaming, !bodyDone, stage != .done, stage != .idle, let c = conn else { return }
        var out: ByteBuffer
        if streamChunked {
            out = r.connection.allocator.buffer(capacity: b.readableBytes + 16)
            out.writeString(String(b.readableBytes, radix: 16) + "\r\n")
            var bb = b
            out.writeBuffer(&bb)
            out.writeStaticString("\r\n")
        } else {
            out = b
        }
        write(out, on: c)
        if !c.isWritable {
            r.body.sink = nil
            armSendTimeout()
        }
    }

    /// The client's body is complete: end a chunked body; the response wait starts when
    /// the last byte went (nginx arms proxy_read_timeout once the body was sent).
    func bodyEnded() {
        guard streaming, !bodyDone, requestSent, stage != .done, let c = conn else { return }
        bodyDone = true
        r.body.sink = nil
        var out = r.connection.allocator.buffer(capacity: 5)
        if streamChunked { out.writeStaticString("0\r\n\r\n") }
        armSendTimeout()
        write(out, on: c, last: true)
    }

    private func write(_ out: ByteBuffer, on c: UpstreamConnection, last: Bool = false) {
        if tryCount > 0 { lastTry.bytesSent += out.readableBytes }
        c.sendReporting(out, { [weak self] error in
            guard let self, self.conn === c, self.stage != .done else { return }
            if let error {
                self.bodyWriteFailed(error)
                return
            }
            if last {
                if self.stage == .header || self.stage == .sending { self.armReadTimer() }
            } else if self.r.body.sink == nil && !self.bodyDone {
                // Still full: each write that went is progress (nginx re-adds the timer).
                self.armSendTimeout()
            }
        })
    }

    /// The upstream drained below the low water mark: read the client again.
    func upstreamWritable() {
        guard streaming, !bodyDone, requestSent, r.body.sink == nil, conn != nil, !r.finalized,
            stage == .sending || stage == .header || stage == .body
        else { return }
        attachSink()
    }

    func armSendTimeout() {
        armTimer(balancerState.sendTimeout > 0 ? balancerState.sendTimeout : conf.effSendTimeout) { [self] in
            logUpstream(.error, "upstream timed out (110: Connection timed out) while sending request to upstream")
            fail(.timeout)
        }
    }

    /// nginx's `writev() failed (32: Broken pipe) while sending request to upstream`.
    private func bodyWriteFailed(_ error: Error) {
        guard stage == .sending || stage == .header else { return }
        if let io = error as? IOError {
            logUpstream(.error, "writev() failed (\(ProxySession.describe(io))) while sending request to upstream")
        } else {
            logUpstream(.error, "upstream prematurely closed connection while sending request to upstream")
        }
        fail(.error)
    }
}
