import NIOCore

extension ProxySession {
    /// `101 Switching Protocols`: send the head, then relay raw bytes both ways
    /// (nginx's `ngx_http_upstream_upgrade`).
    func startTunnel(_ h: UpstreamResponseHead, rest: ByteBuffer) {
        timer?.disarm()
        tunnel = true
        stage = .body
        r.status = 101
        var out = ResponseHeaders()
        for (name, value) in h.headers {
            let l = name.lowercased()
            if l == "connection" || l == "content-length" || l == "transfer-encoding" { continue }
            if ProxySession.hiddenByDefault.contains(l) && !(conf.passHeaders ?? []).contains(l) { continue }
            if (conf.hideHeaders ?? []).contains(l) { continue }
            out.list.append((name, value))
        }
        r.headersOut = out
        r.keepAlive = false
        guard r.sendHeader(), let c = conn else {
            tunnelClosed()
            return
        }
        r.connection.flush()
        r.connection.rawReader = { [weak c] buf in
            c?.send(buf) { _ in }
        }
        if let early = r.connection.takeBuffered() {
            c.send(early) { _ in }
        }
        if rest.readableBytes > 0 { relayToClient(rest) }
    }

    func relayToClient(_ buf: ByteBuffer) {
        guard !r.finalized else { return }
        r.connection.writeAndFlush(buf) { _ in }
    }

    func tunnelClosed() {
        guard stage != .done else { return }
        stage = .done
        conn?.delegate = nil
        conn?.close()
        conn = nil
        releasePeer(failed: false)
        r.connection.rawReader = nil
        guard !r.finalized else { return }
        r.keepAlive = false
        r.finalize(0)
    }
}
