import NIOCore

/// Process-level hooks modules register (ngx_lua: init_by_lua in the master,
/// init_worker_by_lua and exit_worker_by_lua in workers).
public enum ModuleHooks {
    /// Runs in the master after the configuration was read, before fork.
    nonisolated(unsafe) public static var initMaster: [(CycleConfig) throws -> Void] = []
    /// Runs in each worker once its event loop exists.
    nonisolated(unsafe) public static var initWorker: [(CycleConfig, EventLoop) -> Void] = []
    /// Runs in each worker when it is about to exit.
    nonisolated(unsafe) public static var exitWorker: [(CycleConfig) -> Void] = []
    /// Runs in each worker when a graceful shutdown starts (timers get `premature`).
    nonisolated(unsafe) public static var workerExiting: [() -> Void] = []
    /// Extra work a worker must finish before it exits; returns true while busy.
    nonisolated(unsafe) public static var workerBusy: [() -> Bool] = []
    /// Runs in the master when it exits (shared dict persistence).
    nonisolated(unsafe) public static var exitMaster: [(CycleConfig) -> Void] = []
}

/// Information about the running process that modules read (`ngx.worker.*`).
public enum WorkerInfo {
    nonisolated(unsafe) public static var id = 0
    nonisolated(unsafe) public static var count = 1
    nonisolated(unsafe) public static var exiting = false
    nonisolated(unsafe) public static var isMaster = true
    nonisolated(unsafe) public static var masterPid: Int32 = 0
    /// "single", "master", "worker", "signaller", ...
    nonisolated(unsafe) public static var processType = "single"
}
