import MoongateCore
import NIOCore

extension NIODeadline {
    /// The cached monotonic time (`CachedTime.refresh()` at each read event), as nginx
    /// arms its timers from `ngx_current_msec`: no clock read per timer.
    static var cached: NIODeadline { .uptimeNanoseconds(CachedTime.monotonicNanos) }
}

/// A re-armable timeout that schedules as few event-loop tasks as it can: arming again
/// with a later deadline keeps the task already scheduled, which re-checks the deadline
/// when it fires. Scheduling and cancelling a NIO task costs thousands of instructions;
/// a proxied request arms its timeout three or four times.
final class LazyTimer {
    private let loop: EventLoop
    private var task: Scheduled<Void>?
    private var due: NIODeadline?
    private var deadline: NIODeadline?
    private var action: (() -> Void)?

    init(loop: EventLoop) { self.loop = loop }

    deinit { task?.cancel() }

    /// Runs `f` in `ms` milliseconds unless re-armed, disarmed or cancelled first.
    func arm(ms: Int, _ f: @escaping () -> Void) {
        let d = NIODeadline.cached + .milliseconds(Int64(max(1, ms)))
        deadline = d
        action = f
        if let due, due <= d { return }
        task?.cancel()
        schedule(at: d)
    }

    /// Forgets the action; the scheduled task, if any, stays and does nothing.
    func disarm() {
        deadline = nil
        action = nil
    }

    /// Forgets the action and removes the scheduled task (when the owner is done).
    func cancel() {
        disarm()
        task?.cancel()
        task = nil
        due = nil
    }

    private func schedule(at d: NIODeadline) {
        due = d
        // Unowned, not weak: a weak reference gives the timer a side table, and every
        // retain and release of it then takes the slow path. deinit cancels the task
        // on this loop, so it never runs after the timer is gone.
        task = loop.scheduleTask(deadline: d) { [unowned self] in self.fired() }
    }

    private func fired() {
        task = nil
        due = nil
        guard let d = deadline, let f = action else { return }
        if d > NIODeadline.now() {
            schedule(at: d)
            return
        }
        deadline = nil
        action = nil
        f()
    }
}
