import CMoongate
import MoongateConfig
import MoongateCore
import MoongateHTTP
import MoongateShm
#if canImport(Glibc)
import Glibc
#endif

/// The master process (nginx's `ngx_master_process_cycle`): single-threaded, it forks
/// workers, waits for signals with `sigtimedwait`, respawns dead workers and reloads.
public final class Master {
    struct Worker {
        var id: Int
        var generation: Int
        var exiting: Bool
    }

    let options: CommandLineOptions
    var cycle: CycleConfig
    let listeners = Listeners()
    var workers: [pid_t: Worker] = [:]
    var generation = 0
    var terminating = false
    var quitting = false

    static let masterSignals: [Int32] = [SIGCHLD, SIGHUP, SIGQUIT, SIGTERM, SIGINT, SIGUSR1, SIGWINCH, SIGUSR2, SIGALRM]

    init(options: CommandLineOptions, cycle: CycleConfig) {
        self.options = options
        self.cycle = cycle
    }

    /// Opens sockets, runs the master hooks, daemonizes and serves. Returns an exit code.
    public static func start(options: CommandLineOptions, cycle: CycleConfig) -> Int32 {
        masterSignals.withUnsafeBufferPointer { _ = mg_block_signals($0.baseAddress, Int32($0.count)) }
        let m = Master(options: options, cycle: cycle)
        do {
            try m.listeners.open(for: cycle)
        } catch {
            Startup.emerg("\(error)")
            return 1
        }
        WorkerInfo.masterPid = getpid()
        WorkerInfo.processType = cycle.masterProcess ? "master" : "single"
        do {
            for h in ModuleHooks.initMaster { try h(cycle) }
        } catch {
            Startup.emerg("\(error)")
            return 1
        }
        if cycle.daemon {
            if !Daemon.daemonize() { return 1 }
        }
        WorkerInfo.masterPid = getpid()
        ErrorLog.shared.refreshPid()
        if !PidFile.write(cycle.pidPath) {
            Daemon.readyFailed()
            return 1
        }
        if cycle.daemon {
            Daemon.ready()
        }
        if !cycle.masterProcess {
            WorkerInfo.count = 1
            WorkerProcess.run(cycle: cycle, listenFDs: m.listeners.takeAll(), workerID: 0, single: true, pidPath: cycle.pidPath)
        }
        return m.loop()
    }

    func spawnWorkers() {
        ErrorLog.shared.log(.notice, "start worker processes")
        generation += 1
        WorkerInfo.count = cycle.workerProcesses
        // Before the first fork: the workers inherit the answers (see prewarm.c).
        mg_prewarm_conformances(unsafeBitCast(Any.self as Any.Type, to: UnsafeRawPointer.self))
        for i in 0..<cycle.workerProcesses { spawn(id: i) }
    }

    func spawn(id: Int) {
        let fds = listeners.duplicated()
        let pid = mg_fork()
        if pid == 0 {
            // The worker listens on its duplicates only: the master's descriptors, which
            // fork copied, would keep the port listening after the worker closes its own
            // on a graceful stop (connections queued that nobody accepts).
            listeners.closeAll()
            WorkerProcess.run(cycle: cycle, listenFDs: fds, workerID: id, single: false, pidPath: nil)
        }
        for fd in fds.values { close(fd) }
        if pid < 0 {
            ErrorLog.shared.log(.alert, "fork() failed while spawning \"worker process\" (\(errno): \(String(cString: strerror(errno))))")
            return
        }
        workers[pid] = Worker(id: id, generation: generation, exiting: false)
        ErrorLog.shared.log(.notice, "start worker process \(pid)")
    }

    func signalWorkers(_ sig: Int32, generationBelow: Int? = nil) {
        for (pid, w) in workers {
            if let g = generationBelow, w.generation >= g { continue }
            kill(pid, sig)
            if sig == SIGQUIT || sig == SIGTERM { workers[pid]!.exiting = true }
        }
    }

    func loop() -> Int32 {
        spawnWorkers()
        var termDeadline: Int64 = 0
        while true {
            var from: Int32 = 0
            let sig = Master.masterSignals.withUnsafeBufferPointer {
                mg_sigtimedwait_from($0.baseAddress, Int32($0.count), 1000, &from)
            }
            CachedTime.update()
            // nginx's ngx_signal_handler line: `signal 1 (SIGHUP) received from 123, reconfiguring`.
            func received(_ name: String, _ action: String) {
                let who = from > 0 ? " from \(from)" : ""
                ErrorLog.shared.log(.notice, "signal \(sig) (\(name)) received\(who)\(action.isEmpty ? "" : ", " + action)")
            }
            switch sig {
            case SIGCHLD:
                received("SIGCHLD", "")
                reap()
            case SIGHUP:
                received("SIGHUP", "reconfiguring")
                if !quitting && !terminating { reload() }
            case SIGQUIT:
                received("SIGQUIT", "shutting down")
                if !quitting {
                    quitting = true
                    signalWorkers(SIGQUIT)
                    // nginx's ngx_close_listening_sockets: with the workers' copies closed
                    // as they stop accepting, new connections are refused at once while the
                    // requests in flight finish.
                    listeners.closeAll()
                }
            case SIGTERM, SIGINT:
                received(sig == SIGTERM ? "SIGTERM" : "SIGINT", "exiting")
                if !terminating {
                    terminating = true
                    termDeadline = CachedTime.monotonicMsec + 1000
                    signalWorkers(SIGTERM)
                }
            case SIGUSR1:
                received("SIGUSR1", "reopening logs")
                ErrorLog.shared.log(.notice, "reopening logs")
                ErrorLog.shared.reopen()
                signalWorkers(SIGUSR1)
            default:
                break
            }
            reap()
            if terminating && CachedTime.monotonicMsec > termDeadline && !workers.isEmpty {
                signalWorkers(SIGKILL)
            }
            if (quitting || terminating) && workers.isEmpty {
                ErrorLog.shared.log(.notice, "exit")
                PidFile.remove(cycle.pidPath)
                for h in ModuleHooks.exitMaster { h(cycle) }
                listeners.closeAll()
                return 0
            }
        }
    }

    func reap() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid <= 0 { return }
            guard let w = workers.removeValue(forKey: pid) else { continue }
            if mg_wifsignaled(status) != 0 {
                let s = mg_wtermsig(status)
                ErrorLog.shared.log(.alert, "worker process \(pid) exited on signal \(s)")
                ShdictRegistry.shared.processDied()
            } else {
                let code = mg_wexitstatus(status)
                ErrorLog.shared.log(code == 0 ? .notice : .alert, "worker process \(pid) exited with code \(code)")
            }
            if !w.exiting && !quitting && !terminating && w.generation == generation {
                spawn(id: w.id)
            }
        }
    }

    func reload() {
        ErrorLog.shared.log(.notice, "reconfiguring")
        let newCycle: CycleConfig
        do {
            newCycle = try Startup.loadConfig(options)
            try listeners.open(for: newCycle)
            for h in ModuleHooks.initMaster { try h(newCycle) }
        } catch {
            ErrorLog.shared.log(.emerg, "\(error)")
            return
        }
        if newCycle.errorLogPath != cycle.errorLogPath || newCycle.errorLogLevel != cycle.errorLogLevel {
            if let log = try? ErrorLog(
                path: newCycle.errorLogPath == "stderr" ? nil : newCycle.errorLogPath, level: newCycle.errorLogLevel)
            {
                ErrorLog.shared = log
            }
        }
        // The main level's further error_log directives, as the new configuration has them.
        ErrorLog.shared.removeChained()
        for log in newCycle.moreErrorLogs { ErrorLog.shared.append(log) }
        let oldGeneration = generation + 1
        cycle = newCycle
        spawnWorkers()
        signalWorkers(SIGQUIT, generationBelow: oldGeneration)
    }
}
