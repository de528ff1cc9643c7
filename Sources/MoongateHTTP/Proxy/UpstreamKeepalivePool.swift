import NIOCore

/// Idle connections of one upstream kept for reuse (nginx's upstream keepalive module):
/// at most `keepalive` per worker, least recently used dropped first.
final class UpstreamKeepalivePool {
    private var idle: [UpstreamConnection] = []

    init() {}

    deinit {
        // The idle connections outlive the pool until they close: they must not call it.
        for c in idle { c.idlePool = nil }
    }

    /// A cached connection to `peerName`, if one is idle.
    func take(_ peerName: String) -> UpstreamConnection? {
        // The most recently kept one is looked at first (the usual pick), then the rest.
        let last = idle.count &- 1
        if last >= 0 {
            let c = idle[last]
            if c.peerName == peerName && !c.closed {
                idle.removeLast()
                c.timer.disarm()
                c.idlePool = nil
                return c
            }
        }
        guard let i = idle.lastIndex(where: { $0.peerName == peerName && !$0.closed }) else { return nil }
        // The most recently kept one, as a rule: the array's end, taken without a shift.
        let c = i == idle.count - 1 ? idle.removeLast() : idle.remove(at: i)
        c.timer.disarm()
        c.idlePool = nil
        return c
    }

    /// Keeps a connection whose response was read completely.
    func put(_ c: UpstreamConnection, timeoutMs: Int, maxRequests: Int, capacity: Int) {
        c.delegate = nil
        guard capacity > 0, !c.closed, maxRequests == 0 || c.requests < maxRequests else {
            c.close()
            return
        }
        if idle.count >= capacity {
            let old = idle.removeFirst()
            old.close()
        }
        idle.append(c)
        c.idlePool = self
        if timeoutMs > 0 {
            c.timer.arm(ms: timeoutMs, c.closeAction)
        } else {
            c.timer.disarm()
        }
    }

    /// An idle connection went away.
    func forget(_ c: UpstreamConnection) {
        idle.removeAll { $0 === c }
    }
}
