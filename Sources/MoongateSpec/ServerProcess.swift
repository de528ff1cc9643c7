import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts and stops the server under test (nginx or moongate) the way Test::Nginx
/// does: `BIN -p ROOT/ -c ROOT/conf/nginx.conf`, daemonized, stopped by the pid file.
public struct ServerProcess: Sendable {
    /// The binary to run.
    public var binary: String
    /// The server root (`-p`).
    public var serverRoot: String
    /// The port the server listens on.
    public var port: Int
    /// Whether to pass `-e ROOT/logs/error.log` (nginx and openresty understand it).
    public var passErrorLogFlag: Bool
    /// Extra environment for the server process.
    public var environment: [String: String]

    /// Creates a handle; nothing runs until ``start(waitSeconds:)``.
    public init(binary: String, serverRoot: String, port: Int, environment: [String: String] = [:]) {
        self.binary = ServerProcess.resolve(binary)
        self.serverRoot = serverRoot
        self.port = port
        let base = (binary as NSString).lastPathComponent
        self.passErrorLogFlag = true
        self.environment = environment
    }

    /// The outcome of launching the server.
    public struct StartResult: Sendable {
        /// True when the launcher exited 0 (or stayed in the foreground) and the port accepts.
        public var started: Bool
        /// The launcher's exit status, if it exited.
        public var exitCode: Int32?
        /// What the launcher wrote to stderr.
        public var stderr: String
        /// Why the start failed, if it did.
        public var failure: String?
        /// The launcher's pid when it stayed in the foreground (to reap after stopping).
        public var foregroundPid: pid_t?
    }

    /// Resolves a bare command name through `PATH`; paths are returned unchanged.
    public static func resolve(_ binary: String) -> String {
        guard !binary.contains("/") else { return binary }
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for dir in dirs where FileManager.default.isExecutableFile(atPath: "\(dir)/\(binary)") {
            return "\(dir)/\(binary)"
        }
        return binary
    }

    var pidFile: String { serverRoot + "/logs/nginx.pid" }

    /// Launches the server and waits until it accepts connections.
    public func start(waitSeconds: Double = 5) -> StartResult {
        let stderrPath = serverRoot + "/logs/stderr.log"
        try? FileManager.default.removeItem(atPath: stderrPath)
        var args = ["-p", serverRoot + "/", "-c", serverRoot + "/conf/nginx.conf"]
        if passErrorLogFlag { args += ["-e", serverRoot + "/logs/error.log"] }
        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let child: Spawn
        do {
            // A daemon keeps stderr open, so a file (not a pipe we would read to EOF) takes it.
            child = try Spawn.start(binary, args, environment: env, outputPath: stderrPath)
        } catch {
            return StartResult(started: false, exitCode: nil, stderr: "", failure: "\(error)")
        }
        let stderrText = { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
        // With `daemon on` the launcher exits at once; a foreground server never does,
        // so an accepting port also ends the wait.
        var exitCode: Int32?
        let launchDeadline = Date().addingTimeInterval(10)
        while Date() < launchDeadline {
            exitCode = child.wait(seconds: 0)
            if exitCode != nil { break }
            if HTTPClient.canConnect(port: port) {
                return StartResult(started: true, exitCode: nil, stderr: stderrText(), failure: nil, foregroundPid: child.pid)
            }
            usleep(10_000)
        }
        if let exitCode, exitCode != 0 {
            return StartResult(started: false, exitCode: exitCode, stderr: stderrText(),
                               failure: "server exited with status \(exitCode)")
        }
        let deadline = Date().addingTimeInterval(waitSeconds)
        while Date() < deadline {
            if HTTPClient.canConnect(port: port) {
                return StartResult(started: true, exitCode: exitCode, stderr: stderrText(), failure: nil)
            }
            usleep(20_000)
        }
        return StartResult(started: false, exitCode: exitCode, stderr: stderrText(),
                           failure: "server did not accept connections on port \(port) within \(waitSeconds)s")
    }

    /// The pid recorded in the pid file, if the file exists.
    public func recordedPid() -> pid_t? {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8) else { return nil }
        return pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// True when the process exists and is not a zombie.
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix(1)
            return state != "Z" && state != "X"
        }
        return true
    }

    /// Sends SIGQUIT to the recorded pid and waits up to `graceSeconds`; then SIGKILL.
    /// Returns a failure message when the server was not running or had to be killed.
    public func stop(graceSeconds: Double = 3) -> String? {
        guard let pid = recordedPid(), pid > 0 else { return "no pid file: the server was not running" }
        guard ServerProcess.isAlive(pid) else {
            try? FileManager.default.removeItem(atPath: pidFile)
            return "server process \(pid) died during the test"
        }
        kill(pid, SIGQUIT)
        let deadline = Date().addingTimeInterval(graceSeconds)
        while Date() < deadline {
            if !ServerProcess.isAlive(pid) {
                // Workers may linger a moment after the master is gone: wait until the
                // port is free so that the next test cannot reach this server.
                while Date() < deadline && port > 0 && HTTPClient.canConnect(port: port) { usleep(10_000) }
                return nil
            }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        return "server \(pid) did not exit within \(graceSeconds)s of SIGQUIT; killed"
    }

    /// Stops a server left behind by an earlier run in this server root, if any.
    public func stopStale() {
        guard let pid = recordedPid(), pid > 0, ServerProcess.isAlive(pid),
              let cmdline = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8),
              cmdline.contains(serverRoot) else { return }
        _ = stop()
    }
}
