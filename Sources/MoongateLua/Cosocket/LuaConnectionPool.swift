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
        }
    }

    final class Pool {
        let size: Int
        var idle: [Idle] = []
        init(size: Int) { self.size = size }
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
        if timeoutMs > 0 {
            c.timer = LuaTimerHeap.add(ms: timeoutMs) { [weak c] in c?.drop() }
        }
        p.idle.append(c)
    }

    static func remove(_ c: Idle) {
        pools[c.key]?.idle.removeAll { $0 === c }
    }
}
