import MoongateCore

extension ProxySession {
    /// nginx's `ngx_http_upstream_check_broken_connection`: with
    /// `proxy_ignore_client_abort off` a client that goes away ends the request as 499
    /// and closes the upstream connection; with `on` the upstream request runs to its end
    /// (the response goes nowhere) and the log phase sees its status.
    func watchClientAbort() {
        // The connection's events belong to the main request (nginx's `c->data`).
        guard r.subrequestSink == nil else { return }
        let conn = r.connection
        // Strong on purpose: the connection drops the handler when the request finishes or
        // the connection closes; a weak capture would give the session a side table. Only
        // the session is captured when there is no previous handler (the usual case): the
        // closure's context is then the session itself, no box allocated.
        if let previous = conn.abortHandler {
            conn.abortHandler = { [self] in clientAborted(previous) }
        } else {
            conn.abortHandler = { [self] in clientAborted(nil) }
        }
    }

    private func clientAborted(_ previous: (() -> Bool)?) -> Bool {
        guard stage != .done, !tunnel else { return previous?() ?? false }
        if streaming && !r.body.complete {
            // The unbuffered body read fails first (nginx's 400), ignore_client_abort or not.
            let r = self.r
            r.log(.info, "client prematurely closed connection while sending request to upstream")
            if !r.headerSent { r.status = 400 }
            r.keepAlive = false
            r.finishRequest(closeNow: true)
            return true
        }
        if conf.effIgnoreClientAbort { return true }
        logUpstream(
            .info,
            "epoll_wait() reported that client prematurely closed connection, "
                + "so upstream connection is closed too while \(abortActionText)")
        return previous?() ?? false
    }

    /// nginx names the wait for the first response byte after the request it sent.
    var abortActionText: String {
        if stage == .header, tryCount > 0, case let t = lastTry, t.bytesReceived == 0 { return "sending request to upstream" }
        return actionText
    }
}
