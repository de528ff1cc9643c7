import CMoongate

/// Time base of expiry, in milliseconds. All processes sharing a zone must use
/// the same base; the default is `CLOCK_MONOTONIC`, read inside the C call.
public struct ShdictClock: Sendable {
    @usableFromInline let read: (@Sendable () -> Int64)?

    /// CLOCK_MONOTONIC in milliseconds.
    public static let system = ShdictClock(read: nil)

    /// A clock read from a closure (tests).
    public static func custom(_ nowMs: @escaping @Sendable () -> Int64) -> ShdictClock {
        ShdictClock(read: nowMs)
    }

    /// The value passed as `now` to `mg_shm_*`.
    @inlinable public var nowArgument: Int64 { read?() ?? Int64(MG_SHM_NOW_SYSTEM) }

    /// Current time in milliseconds on this clock.
    public var nowMs: Int64 { read?() ?? mg_shm_now_ms() }

    /// Runs `body` as a Lua run does: calls on the system clock read it once, then
    /// reuse it, until the run ends (`mg_shm_clock_run_begin`/`end`).
    public static func withRun<T>(_ body: () throws -> T) rethrows -> T {
        mg_shm_clock_run_begin()
        defer { mg_shm_clock_run_end() }
        return try body()
    }
}
