import CMoongate
import MoongateCore
import MoongateHTTP
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// The body of a worker (or of the single process with `master_process off`): one event
/// loop on the main thread, signals read through a signalfd.
enum WorkerProcess {
    static let handledSignals: [Int32] = [SIGQUIT, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGWINCH, SIGUSR2]

    /// Runs until told to stop; never returns.
    static func run(cycle: CycleConfig, listenFDs: [String: Int32], workerID: Int, single: Bool, pidPath: String?) -> Never {
        handledSignals.withUnsafeBufferPointer { _ = mg_block_signals($0.baseAddress, Int32($0.count)) }
        if !single { _ = mg_set_pdeathsig(SIGKILL) }
        ErrorLog.shared.refreshPid()
        WorkerInfo.id = workerID
        WorkerInfo.isMaster = false
        WorkerInfo.processType = single ? "single" : "worker"
        srandom(UInt32(truncatingIfNeeded: getpid() ^ Int32(truncatingIfNeeded: time(nil))))
        CachedTime.update()
        WorkerConnections.limit = cycle.workerConnections
        // nginx's worker holds one connection for its channel to the master. Ours reads
        // signals through a signalfd instead; the place is counted all the same, so that
        // a configuration's limit leaves as many for clients as it does on nginx.
        if !single { WorkerConnections.take() }
        MultiThreadedEventLoopGroup.withCurrentThreadAsEventLoop { loop in
            let worker = HTTPWorker(cycle: cycle, loop: loop)
            for h in ModuleHooks.initWorker { h(cycle, loop) }
            worker.start(listenFDs: listenFDs)
            let fd = handledSignals.withUnsafeBufferPointer { mg_signalfd($0.baseAddress, Int32($0.count)) }
            var stopping = false
            func gracefulStop() {
                if stopping { return }
                stopping = true
                WorkerInfo.exiting = true
                for h in ModuleHooks.workerExiting { h() }
                worker.stopAccepting()
                ConnectionRegistry.shared.shutdownAll()
                let deadline = cycle.workerShutdownTimeout.map { CachedTime.monotonicMsec + Int64($0) }
                loop.scheduleRepeatedTask(initialDelay: .milliseconds(10), delay: .milliseconds(20)) { task in
                    CachedTime.update()
                    let busy = ConnectionRegistry.shared.count > 0 || ModuleHooks.workerBusy.contains { $0() }
                    let late = deadline.map { CachedTime.monotonicMsec >= $0 } ?? false
                    if !busy || late {
                        task.cancel()
                        // nginx's worker says "exiting" once its connections are done.
                        ErrorLog.shared.log(.notice, "exiting")
                        finish(loop)
                    }
                }
            }
            func finish(_ loop: EventLoop) {
                for h in ModuleHooks.exitWorker { h(cycle) }
                AccessLogFile.flushAll()
                ErrorLog.shared.log(.notice, "exit")
                if let pidPath { PidFile.remove(pidPath) }
                loop.shutdownGracefully { _ in }
            }
            // Poll the signalfd on the loop: cheap (one read per 50 ms) and it needs no
            // thread of its own.
            loop.scheduleRepeatedTask(initialDelay: .milliseconds(50), delay: .milliseconds(50)) { _ in
                CachedTime.update()
                var signo: Int32 = 0
                var pid: Int32 = 0
                var status: Int32 = 0
                while mg_signalfd_read(fd, &signo, &pid, &status) == 1 {
                    switch signo {
                    case SIGQUIT:
                        ErrorLog.shared.log(.notice, "gracefully shutting down")
                        gracefulStop()
                    case SIGTERM, SIGINT:
                        ErrorLog.shared.log(.notice, "exiting")
                        WorkerInfo.exiting = true
                        finish(loop)
                    case SIGUSR1:
                        ErrorLog.shared.log(.notice, "reopening logs")
                        ErrorLog.shared.reopen()
                        AccessLogFile.reopenAll()
                    default:
                        break
                    }
                }
            }
        }
        AccessLogFile.flushAll()
        exit(0)
    }
}
