/// One attempt at an upstream peer, for `$upstream_*` variables (nginx's
/// `ngx_http_upstream_state_t`).
struct ProxyTry {
    /// `ip:port`, or the upstream's name when no peer was live.
    var addr: String
    var status = 0
    var start: Int64
    /// Milliseconds, -1 when not reached.
    var connectTime = -1
    var headerTime = -1
    var responseTime = -1
    var bytesSent = 0
    var bytesReceived = 0
    /// False for the empty state nginx puts between two upstreams of one request.
    var hasPeer = true

    /// The state that separates two upstreams in `r.upstreamStates`.
    static let separator: ProxyTry = {
        var t = ProxyTry(addr: "", start: 0)
        t.hasPeer = false
        return t
    }()
}
