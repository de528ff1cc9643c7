import MoongateCore

/// One `server` of an `upstream` block with its per-worker health and weight state
/// (nginx's `ngx_http_upstream_rr_peer_t`). Configuration is per worker after fork, so
/// the mutable state lives here.
public final class UpstreamPeer {
    /// `ip:port`, as nginx prints it in `$upstream_addr` and the error log.
    public let name: String
    /// The `server` argument as written (`backend:8080`): `hash ... consistent` places
    /// its points by it, and the peers one name resolves to share it.
    public var server: String
    public let host: String
    public let port: Int
    public let weight: Int
    public let maxFails: Int
    /// Milliseconds.
    public let failTimeout: Int
    public let backup: Bool
    public var down: Bool
    /// `max_conns=`: at most this many requests of this worker on the peer at once
    /// (0: no limit). Without a shared `zone`, as in nginx, each worker counts its own.
    public var maxConns = 0

    // Smooth weighted round robin state.
    var currentWeight = 0
    var effectiveWeight: Int
    /// Failures inside the current fail_timeout window.
    var fails = 0
    /// When the last failure happened (monotonic msec).
    var accessed: Int64 = 0
    /// When the peer was last chosen after failures (monotonic msec).
    var checked: Int64 = 0
    /// Requests in flight (least_conn, max_conns).
    var conns = 0

    public init(host: String, port: Int, weight: Int, maxFails: Int, failTimeout: Int, backup: Bool, down: Bool) {
        self.host = host
        self.port = port
        self.name = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        self.server = self.name
        self.weight = weight
        self.effectiveWeight = weight
        self.maxFails = maxFails
        self.failTimeout = failTimeout
        self.backup = backup
        self.down = down
    }

    /// Whether the peer may be tried now (nginx: down, max_fails reached within
    /// fail_timeout, or max_conns requests on it already).
    func available(now: Int64) -> Bool {
        if down { return false }
        if maxFails > 0 && fails >= maxFails && now - checked <= Int64(failTimeout) { return false }
        return !full
    }

    /// `max_conns` requests of this worker on the peer already.
    var full: Bool { maxConns > 0 && conns >= maxConns }

    /// Records the outcome of a try (nginx's `ngx_http_upstream_free_round_robin_peer`).
    /// Returns true if the peer just became unavailable (nginx logs a warning).
    func release(failed: Bool, now: Int64) -> Bool {
        if conns > 0 { conns -= 1 }
        if failed {
            fails += 1
            accessed = now
            checked = now
            if maxFails > 0 {
                effectiveWeight -= weight / maxFails
                if effectiveWeight < 0 { effectiveWeight = 0 }
                return fails >= maxFails
            }
            return false
        }
        // A success after the window closes the failure count.
        if accessed < checked { fails = 0 }
        if effectiveWeight < weight { effectiveWeight = weight }
        return false
    }
}
