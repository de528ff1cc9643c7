import MoongateCore
import NIOCore

/// One deadline in the worker's timer heap. `cancel()` drops it lazily: the heap skips
/// cancelled entries when they reach the top.
final class LuaTimerEntry {
    let deadline: Int64
    let seq: UInt64
    private(set) var action: (() -> Void)?

    init(deadline: Int64, seq: UInt64, action: @escaping () -> Void) {
        self.deadline = deadline
        self.seq = seq
        self.action = action
    }

    /// Stops the entry from firing.
    func cancel() {
        guard action != nil else { return }
        action = nil
        if inHeap { LuaTimerHeap.noteCancelled() }
    }

    /// Still in the heap (not fired or popped yet).
    fileprivate var inHeap = true

    var cancelled: Bool { action == nil }

    fileprivate func take() -> (() -> Void)? {
        inHeap = false
        defer { action = nil }
        return action
    }
}

/// The worker's timers (ngx.sleep, ngx.timer.*, socket and semaphore timeouts): a binary
/// min-heap with one NIO scheduled task for the earliest deadline, and a ready queue for
/// work due now (`ngx.sleep(0)`, resumes posted by semaphores and light threads).
enum LuaTimerHeap {
    nonisolated(unsafe) private static var heap: [LuaTimerEntry] = []
    nonisolated(unsafe) private static var ready: [() -> Void] = []
    nonisolated(unsafe) private static var readyPosted = false
    nonisolated(unsafe) private static var armed: Scheduled<Void>?
    nonisolated(unsafe) private static var armedDeadline = Int64.max
    nonisolated(unsafe) private static var seq: UInt64 = 0
    /// Cancelled entries still in the heap (socket timeouts are mostly cancelled).
    nonisolated(unsafe) private static var cancelledCount = 0

    /// Entries in the heap, cancelled ones included until they surface.
    static var count: Int { heap.count }

    /// The monotonic clock in ms. Not the cached time: on a kept-alive connection it
    /// may be up to one signal poll (50 ms) old, and a sleep would come back early.
    static var nowMsec: Int64 { Int64(NIODeadline.now().uptimeNanoseconds / 1_000_000) }

    /// Runs `f` after `ms` milliseconds.
    @discardableResult
    static func add(ms: Int, _ f: @escaping () -> Void) -> LuaTimerEntry {
        seq &+= 1
        let e = LuaTimerEntry(deadline: nowMsec + Int64(max(ms, 0)), seq: seq, action: f)
        push(e)
        if e.deadline < armedDeadline { rearm() }
        return e
    }

    /// Runs `f` on the next loop iteration, after the work queued before it.
    static func post(_ f: @escaping () -> Void) {
        ready.append(f)
        guard !readyPosted, let loop = LuaScheduler.loop else { return }
        readyPosted = true
        loop.execute { runReady() }
    }

    private static func runReady() {
        readyPosted = false
        CachedTime.update()
        let batch = ready
        ready = []
        for f in batch { f() }
    }

    private static func rearm() {
        armed?.cancel()
        armed = nil
        armedDeadline = .max
        while let top = heap.first, top.cancelled { _ = pop() }
        guard let top = heap.first, let loop = LuaScheduler.loop else { return }
        armedDeadline = top.deadline
        let delay = max(top.deadline - nowMsec, 0)
        armed = loop.scheduleTask(in: .milliseconds(delay)) { fire() }
    }

    private static func fire() {
        armed = nil
        armedDeadline = .max
        CachedTime.update()
        let now = nowMsec
        var due: [() -> Void] = []
        while let top = heap.first, top.deadline <= now {
            if let f = pop().take() { due.append(f) }
        }
        for f in due { f() }
        if armed == nil { rearm() }
    }

    /// Drops cancelled entries once they are most of the heap, so that cancelled
    /// 60 s read timeouts do not pile up under load.
    fileprivate static func noteCancelled() {
        cancelledCount += 1
        guard cancelledCount > 1024, cancelledCount * 2 > heap.count else { return }
        let live = heap.filter { !$0.cancelled }
        for e in heap where e.cancelled { e.inHeap = false }
        heap = []
        for e in live { push(e) }
        cancelledCount = 0
    }

    private static func less(_ a: LuaTimerEntry, _ b: LuaTimerEntry) -> Bool {
        a.deadline < b.deadline || (a.deadline == b.deadline && a.seq < b.seq)
    }

    private static func push(_ e: LuaTimerEntry) {
        heap.append(e)
        var i = heap.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if !less(heap[i], heap[p]) { break }
            heap.swapAt(i, p)
            i = p
        }
    }

    private static func pop() -> LuaTimerEntry {
        let top = heap[0]
        if top.cancelled && top.inHeap { cancelledCount -= 1 }
        top.inHeap = false
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var m = i
                if l < heap.count, less(heap[l], heap[m]) { m = l }
                if r < heap.count, less(heap[r], heap[m]) { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
