import MoongateCore
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// The worker's keepalive pools of cosocket connections (`setkeepalive`), keyed by
/// "host:port", "unix:path" or the `pool` option; least recently used goes first.
enum LuaConnectionPool {
    /// A connection resting in a pool; closes itself on data, close or idle timeout.
    final class Idle: LuaTCPEvents {
        // Set again when the socket that took it parks a connection (`put`'s `entry`).
        fileprivate(set) var channel: Channel
        fileprivate(set) var handler: LuaTCPHandler
        fileprivate(set) var reused: Int
        fileprivate(set) var pool: Pool
        /// When the idle timeout closes it (`LuaTimerHeap.nowMsec`), 0: never.
        fileprivate(set) var deadline: Int64

        init(channel: Channel, handler: LuaTCPHandler, reused: Int, pool: Pool, deadline: Int64) {
            self.channel = channel
            self.handler = handler
            self.reused = reused
            self.pool = pool
            self.deadline = deadline
        }

        func received(_ b: ByteBuffer) { drop() }
        func closedByPeer(error: String?) { drop() }

        func drop() {
            LuaConnectionPool.remove(self)
            channel.close(promise: nil)
            // Events after the close come to nobody (as to a freed weak owner).
            if handler.owner === self { handler.owner = nil }
            LuaConnectionPool.closed(pool)
        }

        deinit {
            if handler.owner === self { handler.owner = nil }
        }
    }

    final class Pool {
        let key: String
        /// The pool's size, fixed (`sized`) by the first connect with `pool_size` or
        /// `backlog`, else by the first setkeepalive: ngx_lua makes the pool only then,
        /// with that call's size (a pool a plain connect only looked up has none yet).
        private(set) var size: Int
        private(set) var sized: Bool
        var idle: [Idle] = []
        /// Open connections of the pool, in use or idle (what `backlog` limits).
        var connections = 0
        /// Connects queued by `backlog` while the pool was full.
        var waiting: [Waiter] = []
        /// One timer per pool closes the idle connections whose timeout passed (instead
        /// of a timer per parked connection): armed for the earliest deadline.
        var sweep: LuaTimerEntry?
        var sweepDeadline = Int64.max
        init(key: String, size: Int, sized: Bool) {
            self.key = key
            self.size = size
            self.sized = sized
        }

        /// Fixes the size unless it was fixed already (a pool's size never changes then).
        func fix(size: Int) {
            if sized { return }
            self.size = size
            sized = true
        }
    }

    /// A connect queued by the `backlog` option.
    final class Waiter {
        let go: () -> Void
        var timer: LuaTimerEntry?
        init(go: @escaping () -> Void) { self.go = go }
    }

    /// Pools are never removed: a `Pool` reference stays valid for the worker's life.
    nonisolated(unsafe) private static var pools: [String: Pool] = [:]

    /// The pool `key`, created unless it exists; `sized`: fix its size to `size` (when
    /// not fixed yet), else the size is only a placeholder until `Pool.fix`.
    @discardableResult
    static func ensure(_ key: String, size: Int, sized: Bool = true) -> Pool {
        if let p = pools[key] {
            if sized { p.fix(size: size) }
            return p
        }
        let p = Pool(key: key, size: size, sized: sized)
        pools[key] = p
        return p
    }

    /// The last pool `lookup` found, by the bytes it was named with: a request connecting
    /// to the same host and port as the one before builds no key and hashes nothing.
    nonisolated(unsafe) private static var lastName: [UInt8] = []
    nonisolated(unsafe) private static var lastPort = Int.min
    nonisolated(unsafe) private static var lastNamed = false
    nonisolated(unsafe) private static var lastPool: Pool?

    /// The pool of a connect to `host` (raw bytes) and `port` (< 0: a unix socket), or of
    /// the `pool` option's name when given; `makeKey` builds the key on a miss.
    static func lookup(
        host: UnsafeRawBufferPointer, port: Int, name: UnsafeRawBufferPointer?, size: Int, sized: Bool,
        makeKey: () -> String
    ) -> Pool {
        let bytes = name ?? host
        if let p = lastPool, lastNamed == (name != nil), name != nil || lastPort == port,
            lastName.count == bytes.count,
            bytes.count == 0 || lastName.withUnsafeBytes({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 })
        {
            if sized { p.fix(size: size) }
            return p
        }
        let p = ensure(makeKey(), size: size, sized: sized)
        lastPool = p
        lastName = Array(bytes)
        lastPort = port
        lastNamed = name != nil
        return p
    }

    /// The most recently parked connection of `p`, taken out of the pool.
    static func take(_ p: Pool) -> Idle? {
        while let c = p.idle.popLast() {
            if c.channel.isActive { return c }
            c.channel.close(promise: nil)
        }
        return nil
    }

    /// Parks a connection; the least recently used one is closed when the pool is full.
    /// `entry`: the entry the socket took its connection from earlier (nothing else
    /// refers to a taken entry), filled in again instead of allocating one per park.
    static func put(_ p: Pool, channel: Channel, handler: LuaTCPHandler, reused: Int, timeoutMs: Int, entry: Idle?) {
        if p.idle.count >= p.size, let old = p.idle.first {
            old.drop()
        }
        let deadline = timeoutMs > 0 ? LuaTimerHeap.nowMsec + Int64(timeoutMs) : 0
        let c: Idle
        if let s = entry {
            // Most often the same connection parked again: no retain and release then.
            if s.channel !== channel { s.channel = channel }
            if s.handler !== handler { s.handler = handler }
            s.reused = reused
            if s.pool !== p { s.pool = p }
            s.deadline = deadline
            c = s
        } else {
            c = Idle(channel: channel, handler: handler, reused: reused, pool: p, deadline: deadline)
        }
        handler.owner = c
        // ngx_lua keeps a read event on an idle connection: data or the peer's close
        // drops it from the pool.
        handler.requestRead(channel)
        p.idle.append(c)
        if deadline > 0, deadline < p.sweepDeadline { armSweep(p, deadline) }
        // A connect waiting in the backlog takes this connection.
        wakeOne(p)
    }

    private static func armSweep(_ p: Pool, _ deadline: Int64) {
        p.sweep?.cancel()
        p.sweepDeadline = deadline
        p.sweep = LuaTimerHeap.add(ms: Int(max(deadline - LuaTimerHeap.nowMsec, 0))) { sweep(p) }
    }

    /// Closes the idle connections whose timeout passed; arms for the next one.
    private static func sweep(_ p: Pool) {
        p.sweep = nil
        p.sweepDeadline = .max
        let now = LuaTimerHeap.nowMsec
        var next = Int64.max
        var expired: [Idle] = []
        for c in p.idle where c.deadline > 0 {
            if c.deadline <= now {
                expired.append(c)
            } else if c.deadline < next {
                next = c.deadline
            }
        }
        for c in expired where p.idle.contains(where: { $0 === c }) { c.drop() }
        if next != .max, next < p.sweepDeadline { armSweep(p, next) }
    }

    /// Whether the pool has `size` open connections.
    static func isFull(_ p: Pool) -> Bool { p.connections >= p.size }

    static func waitingCount(_ p: Pool) -> Int { p.waiting.count }

    /// A new connection of the pool opens.
    static func opened(_ p: Pool) { p.connections += 1 }

    /// A connection of the pool closed: a queued connect may go.
    static func closed(_ p: Pool) {
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
    static func enqueue(_ p: Pool, timeoutMs: Int, onTimeout: @escaping () -> Void, go: @escaping () -> Void) {
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
        c.pool.idle.removeAll { $0 === c }
    }
}
