/// One request's view of its upstream tries, shared with `balancer_by_lua*`
/// (ngx_lua's `ngx_http_lua_balancer_peer_data_t` plus the parts of `r->upstream` it reads).
public final class BalancerState {
    /// Peer chosen by the balancer hook for the current try (`set_current_peer`).
    public var chosen: (host: String, port: Int)?
    /// Extra tries granted for the current try (`set_more_tries`).
    public var moreTries = 0
    /// Tries made so far, this one included.
    public internal(set) var totalTries = 0
    /// Tries left (nginx's `peer.tries`).
    public internal(set) var triesLeft = 0
    /// `proxy_next_upstream_tries` (0 = unlimited).
    public internal(set) var maxTries = 0
    /// How the previous try ended: 0 none, 2 next, 4 failed (nginx's NGX_PEER_*).
    public internal(set) var lastPeerState = 0
    /// The status of the previous try (0 when it had none).
    public internal(set) var lastStatus = 0
    /// Timeouts set by the balancer for this request (msec, 0 = unchanged).
    public var connectTimeout = 0
    public var sendTimeout = 0
    public var readTimeout = 0
    /// Keepalive requested by the balancer (`enable_keepalive`).
    public var keepalive: (timeout: Int, requests: Int)?
    /// Whether the request should be rebuilt before this try.
    public var recreateRequest = false

    init() {}

    /// One state kept for the worker's next request (all of a worker's requests run on
    /// its one thread): taken by a session, given back reset when the session ends.
    nonisolated(unsafe) private static var spare: BalancerState?

    /// A fresh state: the spare one when there is one.
    static func make() -> BalancerState {
        guard let s = spare else { return BalancerState() }
        spare = nil
        return s
    }

    /// Keeps `s` (no one else holds it) for the next request, as it was made.
    /// (Inlined into the session's deinit: no retain and release of `s` for a call.)
    @inline(__always)
    static func recycle(_ s: BalancerState) {
        s.chosen = nil
        s.moreTries = 0
        s.totalTries = 0
        s.triesLeft = 0
        s.maxTries = 0
        s.lastPeerState = 0
        s.lastStatus = 0
        s.connectTimeout = 0
        s.sendTimeout = 0
        s.readTimeout = 0
        s.keepalive = nil
        s.recreateRequest = false
        spare = s
    }

    /// The state of a request that is proxying, if any.
    public static func of(_ r: HTTPRequest) -> BalancerState? {
        r.moduleContexts.proxy?.balancerState
    }
}
