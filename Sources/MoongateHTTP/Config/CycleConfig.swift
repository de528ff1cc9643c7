import MoongateConfig
import MoongateCore

/// Everything one configuration file says: nginx's `ngx_cycle_t` settings.
public final class CycleConfig {
    public var prefix: String
    public var confPath: String
    public var confDirectory: String
    public var workerProcesses = 1
    public var daemon = true
    public var masterProcess = true
    public var pidPath: String
    public var errorLogPath: String
    public var errorLogLevel: LogLevel = .error
    public var errorLogSet = false
    /// The main level's further `error_log` directives, opened as they were read.
    public var moreErrorLogs: [ErrorLog] = []
    public var env: [String] = []
    public var workerConnections = 512
    public var workerShutdownTimeout: Int? = nil
    public var http: HTTPConfig?
    /// Warnings to log once the error log is open (`[warn] ... in file:line`).
    public var warnings: [ConfigError] = []
    /// The configuration files read, main file first (for `-T`).
    public var confFiles: [String] = []
    /// Per-module main-level settings (ngx_lua keeps init_by_lua, shared dicts ...).
    public var moduleConf: [String: AnyObject] = [:]

    public init(prefix: String, confPath: String) {
        self.prefix = prefix
        self.confPath = confPath
        var dir = confPath
        if let slash = dir.lastIndex(of: "/") { dir = String(dir[..<slash]) } else { dir = "." }
        self.confDirectory = dir
        self.pidPath = prefix + "logs/nginx.pid"
        self.errorLogPath = prefix + "logs/error.log"
    }

    /// A path relative to the prefix made absolute.
    public func absolute(_ p: String) -> String {
        if p.hasPrefix("/") { return p }
        return prefix + p
    }
}
