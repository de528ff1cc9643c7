import NIOCore

/// The header, body and keep-alive timeouts of all client connections of the worker,
/// on one NIO task. Connections armed with the same duration fall due in the order they
/// were armed, so each duration keeps a FIFO list, linked through the connections
/// themselves, whose head is its earliest deadline. Arming, re-arming and disarming are
/// O(1) and allocate nothing; an idle connection pays for two links and a deadline
/// instead of a scheduled NIO task with its promise and closures (about 300 bytes).
final class ConnectionTimers {
    /// The worker's timers (all HTTP code runs on the worker's one event loop).
    nonisolated(unsafe) static let shared = ConnectionTimers()

    /// The armed connections of one duration, earliest first.
    final class List {
        var head: HTTPConnection?
        unowned(unsafe) var tail: HTTPConnection?
    }

    private var lists: [Int: List] = [:]
    /// The list of the last duration armed (lists are never removed).
    private var lastMs = -1
    private var lastList: List?
    private var task: Scheduled<Void>?
    private var due: NIODeadline?

    /// Number of armed connections (for tests).
    private(set) var count = 0

    /// Arms (or re-arms) `c` to time out in `ms` milliseconds.
    func arm(_ c: HTTPConnection, ms: Int) {
        let deadline = NIODeadline.cached + .milliseconds(Int64(ms))
        // (On the list of `ms` when its duration is `ms`: each duration has one list.)
        if ms == lastMs, c.timerListMs == ms, c.timerNext == nil {
            // Last on its duration's list (re-armed with no connection armed after it, as
            // every keep-alive timeout of a busy connection): the list stays in deadline
            // order with only the deadline moved.
            c.timerDeadline = deadline
            if due == nil || deadline < due! { schedule(at: deadline, loop: c.eventLoop) }
            return
        }
        unlink(c)
        // (Lists live as long as the timers: no reference counting for the local.)
        unowned(unsafe) let list: List
        if ms == lastMs, let l = lastList {
            // Nearly every arm uses the duration of the one before (keepalive_timeout).
            list = l
        } else if let l = lists[ms] {
            list = l
            lastMs = ms
            lastList = l
        } else {
            let l = List()
            lists[ms] = l
            list = l
        }
        c.timerDeadline = deadline
        c.timerList = list
        c.timerListMs = ms
        c.timerPrev = list.tail
        c.timerNext = nil
        if let t = list.tail { t.timerNext = c } else { list.head = c }
        list.tail = c
        count += 1
        if due == nil || deadline < due! { schedule(at: deadline, loop: c.eventLoop) }
    }

    /// Disarms `c`; the NIO task stays and finds nothing due for it.
    func disarm(_ c: HTTPConnection) { unlink(c) }

    private func unlink(_ c: HTTPConnection) {
        guard let list = c.timerList else { return }
        let next = c.timerNext
        if let p = c.timerPrev { p.timerNext = next } else { list.head = next }
        if let n = next { n.timerPrev = c.timerPrev } else { list.tail = c.timerPrev }
        c.timerPrev = nil
        c.timerNext = nil
        c.timerList = nil
        c.timerListMs = -1
        count -= 1
    }

    private func schedule(at deadline: NIODeadline, loop: EventLoop) {
        task?.cancel()
        due = deadline
        task = loop.scheduleTask(deadline: deadline) { [unowned self] in self.fire(loop: loop) }
    }

    private func fire(loop: EventLoop) {
        task = nil
        due = nil
        let now = NIODeadline.now()
        var expired: [HTTPConnection] = []
        var next: NIODeadline? = nil
        for list in lists.values {
            while let c = list.head, c.timerDeadline <= now {
                unlink(c)
                expired.append(c)
            }
            if let h = list.head, next == nil || h.timerDeadline < next! { next = h.timerDeadline }
        }
        if let next { schedule(at: next, loop: loop) }
        // A timeout may re-arm (and so reschedule) as it runs.
        for c in expired { c.timerFired() }
    }
}
