import MoongateConfig
import MoongateCore
import MoongateHTTP
#if canImport(Glibc)
import Glibc
#endif

/// The command-line entry: what nginx's `main()` does before the cycles start.
public enum Startup {
    /// Writes `nginx: [emerg] message` on stderr and in the error log (if one is open).
    static func emerg(_ message: String) {
        let line = "nginx: [emerg] \(message)\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        if ErrorLog.shared.path != nil {
            ErrorLog.shared.log(.emerg, message)
        }
    }

    static func stderrLine(_ s: String) {
        let line = s + "\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }

    static func loadConfig(_ o: CommandLineOptions) throws -> CycleConfig {
        let cycle = try ConfigLoader.load(prefix: o.prefix, confPath: o.confPath, globalDirectives: o.globals)
        for w in cycle.warnings {
            if o.testConfig && o.quiet { continue }
            if o.testConfig {
                // nginx -t shows configuration warnings on stderr like its errors.
                stderrLine("nginx: [warn] \(w.description)")
                if ErrorLog.shared.path != nil { ErrorLog.shared.log(.warn, w.description) }
                continue
            }
            if ErrorLog.shared.path == nil { continue }
            ErrorLog.shared.log(.warn, w.description)
        }
        return cycle
    }

    /// Runs the program; returns the exit code.
    public static func main(_ args: [String]) -> Int32 {
        let o: CommandLineOptions
        do {
            o = try CommandLineOptions(args)
        } catch {
            stderrLine("nginx: \(error)")
            return 1
        }
        if o.help {
            printUsage()
            return 0
        }
        if o.showVersion {
            stderrLine("nginx version: nginx/\(MoongateVersion.nginxVersion) (moongate \(MoongateVersion.version))")
            if o.showConfigure {
                for line in BuildInfo.configureLines(prefix: o.prefix) { stderrLine(line) }
            }
            return 0
        }
        CachedTime.update()
        // The startup log: -e, else the default error log under the prefix (nginx's
        // NGX_ERROR_LOG_PATH, "logs/error.log"): errors found while reading the
        // configuration go there as well as to stderr, where test harnesses look for them.
        // When it cannot be opened, stderr alone is used.
        let startupLog = o.errorLog.map { $0 == "stderr" ? "stderr" : ($0.hasPrefix("/") ? $0 : o.prefix + $0) }
            ?? o.prefix + "logs/error.log"
        if startupLog != "stderr" {
            if let log = try? ErrorLog(path: startupLog, level: .notice) { ErrorLog.shared = log }
        }
        if let sig = o.signal {
            return sendSignal(sig, o)
        }
        let cycle: CycleConfig
        do {
            cycle = try loadConfig(o)
        } catch {
            emerg("\(error)")
            if o.testConfig { stderrLine("nginx: configuration file \(o.confPath) test failed") }
            return 1
        }
        if o.testConfig {
            if o.dumpConfig {
                for f in cycle.confFiles { dump(f) }
            }
            if !o.quiet {
                stderrLine("nginx: the configuration file \(o.confPath) syntax is ok")
                stderrLine("nginx: configuration file \(o.confPath) test is successful")
            }
            return 0
        }
        // Open the configured error log (unless -e said otherwise, nginx's rule: both).
        do {
            let path = cycle.errorLogPath == "stderr" ? nil : cycle.errorLogPath
            ErrorLog.shared = try ErrorLog(path: path, level: cycle.errorLogLevel)
            for log in cycle.moreErrorLogs { ErrorLog.shared.append(log) }
        } catch {
            emerg("\(error)")
            return 1
        }
        // The warnings already went to the startup log; a configured log elsewhere gets them too.
        if ErrorLog.shared.path != startupLog {
            for w in cycle.warnings { ErrorLog.shared.log(.warn, w.description) }
        }
        return Master.start(options: o, cycle: cycle)
    }

    /// nginx -T's format: a header line, the file as is, and a line feed.
    static func dump(_ path: String) {
        var out = "# configuration file \(path):\n"
        if let t = readWholeFile(path) { out += t }
        out += "\n"
        _ = out.withCString { write(1, $0, strlen($0)) }
    }

    static func sendSignal(_ name: String, _ o: CommandLineOptions) -> Int32 {
        // Read the pid path from the configuration, as nginx does.
        var pidPath = o.prefix + "logs/nginx.pid"
        if let cycle = try? ConfigLoader.load(prefix: o.prefix, confPath: o.confPath, globalDirectives: o.globals) {
            pidPath = cycle.pidPath
        }
        guard let text = readFileText(pidPath) else {
            let e = errno
            stderrLine("nginx: [error] open() \"\(pidPath)\" failed (\(e): \(String(cString: strerror(e))))")
            return 1
        }
        guard let pid = pid_t(text.trimmingCharacters(in: " \n\r\t")), pid > 0 else {
            stderrLine("nginx: [error] invalid PID number \"\(text.trimmingCharacters(in: " \n\r\t"))\" in \"\(pidPath)\"")
            return 1
        }
        let sig: Int32
        switch name {
        case "stop": sig = SIGTERM
        case "quit": sig = SIGQUIT
        case "reopen": sig = SIGUSR1
        default: sig = SIGHUP
        }
        if kill(pid, sig) != 0 {
            let e = errno
            stderrLine("nginx: [alert] kill(\(pid), \(sig)) failed (\(e): \(String(cString: strerror(e))))")
            return 1
        }
        return 0
    }

    static func printUsage() {
        stderrLine("nginx version: nginx/\(MoongateVersion.nginxVersion) (moongate \(MoongateVersion.version))")
        stderrLine(
            """
            Usage: moongate [-?hvVtTq] [-s signal] [-p prefix]
                         [-e filename] [-c filename] [-g directives]

            Options:
              -?,-h         : this help
              -v            : show version and exit
              -V            : show version and configure options then exit
              -t            : test configuration and exit
              -T            : test configuration, dump it and exit
              -q            : suppress non-error messages during configuration testing
              -s signal     : send signal to a master process: stop, quit, reopen, reload
              -p prefix     : set prefix path (default: current directory)
              -e filename   : set error log file (default: logs/error.log)
              -c filename   : set configuration file (default: conf/nginx.conf)
              -g directives : set global directives out of configuration file
            """)
    }
}
