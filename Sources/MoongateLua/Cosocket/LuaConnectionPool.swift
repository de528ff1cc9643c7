import MoongateCore
import NIOCore

/// The worker's keepalive pools of cosocket connections (`setkeepalive`), keyed by
/// "host:port", "unix:path" or the `pool` option; least recently used goes first.
enum LuaConnectionPool {
    /// A connection resting in a pool; closes itself on data, close or idle timeout.
    final class Idle: LuaTCPEvents {
        let channel: Channel
        let handler: LuaTCPHandler
        let reused: Int
        let key: String
        var timer: LuaTimerEntry?

        init(channel: Channel, handler: LuaTCPHandler, reused: Int, key: String) {
            self.channel = channel
            self.handler = handler
            self.reused = reused
            self.key = key
        }

        func received(_ b: ByteBuffer) { drop() }
        func closedByPeer(error: String?) { drop() }

        func drop() {
            timer?.cancel()
            LuaConnectionPool.remove(self)
            channel.close(promise: nil)
            LuaConnectionPool.closed(key)
        }
    }

    final class Pool {
        let size: Int
        var idle: [Idle] = []
        /// Open connections of the pool, in use or idle (what `backlog` limits).
        var connections = 0
        /// Connects queued by `backlog` while the pool was full.
        var waiting: [Waiter] = []
        init(size: Int) { self.size = size }
    }

    /// A connect queued by the `backlog` option.
    final class Waiter {
        let go: () -> Void
        var timer: LuaTimerEntry?
        init(go: @escaping () -> Void) { self.go = go }
    }

    nonisolated(unsafe) private static var pools: [String: Pool] = [:]

    /// Creates the pool `key` with `size` unless it exists (its size is fixed then).
    static func ensure(_ key: String, size: Int) {
        if pools[key] == nil { pools[key] = Pool(size: size) }
    }

    /// The most recently parked connection of `key`, taken out of the pool.
    static func take(_ key: String) -> Idle? {
        guard let p = pools[key] else { return nil }
        while let c = p.idle.popLast() {
            c.timer?.cancel()
            if c.channel.isActive { return c }
            c.channel.close(promise: nil)
        }
        return nil
    }

    /// Parks a connection; the least recently used one is closed when the pool is full.
    static func put(_ key: String, size: Int, channel: Channel, handler: LuaTCPHandler, reused: Int, timeoutMs: Int) {
        ensure(key, size: size)
        let p = pools[key]!
        if p.idle.count >= p.size, let old = p.idle.first {
            old.drop()
        }
        let c = Idle(channel: channel, handler: handler, reused: reused, key: key)
        handler.owner = c
        // ngx_lua keeps a read event on an idle connection: data or the peer's close
        // drops it from the pool.
        handler.requestRead(channel)
        if timeoutMs > 0 {
            c.timer = LuaTimerHeap.add(ms: timeoutMs) { [weak c] in c?.drop() }
        }
        p.idle.append(c)
        // A connect waiting in the backlog takes this connection.
        wakeOne(p)
    }

    /// Whether the pool has `size` open connections.
    static func isFull(_ key: String) -> Bool {
        guard let p = pools[key] else { return false }
        return p.connections >= p.size
    }

    static func waitingCount(_ key: String) -> Int { pools[key]?.waiting.count ?? 0 }

    /// A new connection of the pool opens.
    static func opened(_ key: String) { pools[key]?.connections += 1 }

    /// A connection of the pool closed: a queued connect may go.
    static func closed(_ key: String) {
        guard let p = pools[key] else { return }
        p.connections = max(p.connections - 1, 0)
        wakeOne(p)
    }

    private static func wakeOne(_ p: Pool) {
        guard !p.waiting.isEmpty, p.connections < p.size || !p.idle.isEmpty else { return }
        let w = p.waiting.removeFirst()
        w.timer?.cancel()
        LuaTimerHeap.post(w.go)
    }

    /// Queues a connect until the pool has room; `onTimeout` after `timeoutMs`.
    static func enqueue(_ key: String, timeoutMs: Int, onTimeout: @escaping () -> Void, go: @escaping () -> Void) {
        guard let p = pools[key] else { return }
        let w = Waiter(go: go)
        if timeoutMs > 0 {
            w.timer = LuaTimerHeap.add(ms: timeoutMs) { [weak p, weak w] in
                guard let p, let w else { return }
                p.waiting.removeAll { $0 === w }
                onTimeout()
            }
        }
        p.waiting.append(w)
    }

    static func remove(_ c: Idle) {
        pools[c.key]?.idle.removeAll { $0 === c }
    }
}
