import MoongateCore

/// `worker_connections`: how many connections a worker may hold at once, counted as
/// nginx counts the entries of its connection array (ngx_get_connection): its listening
/// sockets, its channel to the master, its clients, and the connections it opens
/// (upstream and cosocket connections, pooled ones included).
///
/// When none is free, the worker first closes idle client connections, those waiting
/// for a request (ngx_drain_connections: the oldest first, an eighth of them, 1 to 32,
/// with a warning at most once a second); when that frees none, it logs nginx's alert
/// and refuses the connection: a new client's is closed, an upstream connect finishes
/// its request with 500, a cosocket's connect fails.
///
/// One event loop per worker: plain statics, used on that loop only.
public enum WorkerConnections {
    /// The limit (the configuration's `worker_connections`).
    nonisolated(unsafe) public static var limit = 512
    /// Connections held besides the clients (ConnectionRegistry counts those).
    nonisolated(unsafe) public private(set) static var others = 0
    /// The second of the last "reusing connections" warning (one a second at most).
    nonisolated(unsafe) private static var warnedAt: Int64 = -1

    /// All connections held.
    public static var used: Int { others + ConnectionRegistry.shared.count }

    /// Whether a connection may be opened or accepted (nginx's ngx_get_connection). When
    /// none is free, idle client connections are closed first; when that frees none,
    /// `alert` gets nginx's message, for the caller to log where nginx does, and the
    /// answer is no.
    public static func available(alert: (String) -> Void) -> Bool {
        if used < limit { return true }
        drain()
        if used < limit { return true }
        alert("\(limit) worker_connections are not enough")
        return false
    }

    /// Counts a connection that is not a client's (a listener, an upstream or cosocket
    /// connection); `release` gives it back.
    public static func take() { others += 1 }
    public static func release() { others -= 1 }

    /// nginx's ngx_drain_connections: closes the oldest idle client connections.
    static func drain() {
        var idle: [HTTPConnection] = []
        ConnectionRegistry.shared.forEach { c in
            if c.isReusable { idle.append(c) }
        }
        guard !idle.isEmpty else { return }
        let now = Int64(CachedTime.sec)
        if warnedAt != now {
            warnedAt = now
            ErrorLog.shared.log(.warn, "\(limit) worker_connections are not enough, reusing connections")
        }
        // The registry lists the newest first: the oldest are at the end.
        let n = max(min(32, idle.count / 8), 1)
        for c in idle.suffix(n).reversed() { c.close() }
    }
}

/// One counted connection (WorkerConnections.take), given back once, whichever comes
/// first: the channel's handler gives it back when the channel goes inactive (NIO fires
/// channelInactive within close(), as nginx frees a connection within
/// ngx_close_connection); a connect that fails (no channel, or one that never became
/// active) gives it back in its failure path; the deinit is the backstop for a slot
/// dropped otherwise.
public final class ConnectionSlot {
    private var held = true

    public init() { WorkerConnections.take() }

    public func release() {
        guard held else { return }
        held = false
        WorkerConnections.release()
    }

    deinit { release() }
}
