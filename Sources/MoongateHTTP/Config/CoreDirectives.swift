import MoongateConfig
import MoongateCore

/// The directive tables of nginx's core, events, http core, rewrite, index, static,
/// headers, access and log modules.
enum CoreDirectives {
    static func registerAll() {
        registerMain()
        registerHTTPBlocks()
        registerHTTPSettings()
        registerRewrite()
        ProxyDirectives.registerAll()
    }

    static func size(_ d: ConfDirective, _ i: Int = 0) throws -> Int {
        guard let v = ConfUnits.size(d.args[i].value) else {
            throw ConfigError("\"\(d.name)\" directive invalid value", at: d.location)
        }
        return v
    }

    static func msec(_ d: ConfDirective, _ i: Int = 0) throws -> Int {
        guard let v = ConfUnits.milliseconds(d.args[i].value) else {
            throw ConfigError("\"\(d.name)\" directive invalid value", at: d.location)
        }
        return v
    }

    static func registerMain() {
        let R = DirectiveRegistry.register
        R(DirectiveSpec("worker_processes", .main, .exactly(1))) { d, c in
            let v = d.args[0].value
            if v == "auto" {
                let cg = Int(mg_cgroup_cpus_bridge())
                let n = ProcessInfoBridge.cpuCount()
                c.cycle.workerProcesses = cg > 0 ? min(cg, n) : n
            } else if let n = Int(v), n >= 0 {
                // nginx accepts 0 (a master with no workers); moongate runs one.
                c.cycle.workerProcesses = max(n, 1)
            } else {
                throw ConfigError("\"worker_processes\" directive invalid value", at: d.location)
            }
        }
        R(DirectiveSpec("daemon", .main, .flag)) { d, c in c.cycle.daemon = d.flagValue }
        R(DirectiveSpec("master_process", .main, .flag)) { d, c in c.cycle.masterProcess = d.flagValue }
        R(DirectiveSpec("pid", .main, .exactly(1))) { d, c in c.cycle.pidPath = c.cycle.absolute(d.args[0].value) }
        R(DirectiveSpec("env", .main, .exactly(1))) { d, c in c.cycle.env.append(d.args[0].value) }
        R(DirectiveSpec("worker_shutdown_timeout", .main, .exactly(1))) { d, c in
            c.cycle.workerShutdownTimeout = try msec(d)
        }
        R(DirectiveSpec("error_log", [.main, .http, .server, .location], .atLeast(1))) { d, c in
            guard d.args.count <= 2 else {
                throw ConfigError("invalid number of arguments in \"error_log\" directive", at: d.location)
            }
            var level = LogLevel.error
            if d.args.count == 2 {
                guard let l = LogLevel(name: d.args[1].value) else {
                    throw ConfigError("invalid log level \"\(d.args[1].value)\"", at: d.location)
                }
                level = l
            }
            let p = d.args[0].value
            let path = p == "stderr" ? "stderr" : c.cycle.absolute(p)
            // The first at the main level is the process's log (opened at startup).
            if c.context == .main && !c.cycle.errorLogSet {
                c.cycle.errorLogSet = true
                c.cycle.errorLogPath = path
                c.cycle.errorLogLevel = level
                return
            }
            // Any other: opened now (a file that cannot be opened refuses the
            // configuration), chained to the main log or to this level's, which the levels
            // below inherit unless they have error_log of their own (nginx's clcf->error_log).
            let log: ErrorLog
            do {
                log = try ErrorLog.opening(path: path, level: level)
            } catch {
                throw ConfigError("\(error)", at: d.location)
            }
            if c.context == .main {
                c.cycle.moreErrorLogs.append(log)
            } else if let head = c.loc!.errorLog {
                head.append(log)
            } else {
                c.loc!.errorLog = log
            }
        }
        R(DirectiveSpec("events", .main, .exactly(0), block: .block)) { d, c in
            let saved = c.context
            c.context = .events
            try ConfigLoader.walk(d.block ?? [], c)
            c.context = saved
        }
        R(DirectiveSpec("worker_connections", .events, .exactly(1))) { d, c in
            guard let n = Int(d.args[0].value), n > 0 else {
                throw ConfigError("invalid number \"\(d.args[0].value)\"", at: d.location)
            }
            c.cycle.workerConnections = n
        }
    }

    static func registerHTTPBlocks() {
        let R = DirectiveRegistry.register
        R(DirectiveSpec("http", .main, .exactly(0), block: .block)) { d, c in
            if c.cycle.http != nil {
                throw ConfigError("\"http\" directive is duplicate", at: d.location)
            }
            let http = HTTPConfig(location: d.location)
            c.cycle.http = http
            c.http = http
            c.loc = http.httpLevel
            c.context = .http
            try ConfigLoader.walk(d.block ?? [], c)
            c.context = .main
            c.loc = nil
        }
        R(DirectiveSpec("server", .http, .exactly(0), block: .block)) { d, c in
            let http = c.http!
            let s = ServerConfig(location: d.location, httpLevel: http.httpLevel)
            s.serverLevel.server = s
            c.server = s
            c.loc = s.serverLevel
            c.context = .server
            try ConfigLoader.walk(d.block ?? [], c)
            if s.listens.isEmpty {
                s.listens.append(ListenConfig(host: "*", port: 80, defaultServer: false, reuseport: false, backlog: 511))
            }
            http.servers.append(s)
            c.context = .http
            c.loc = http.httpLevel
            c.server = nil
        }
        R(DirectiveSpec("listen", .server, .atLeast(1))) { d, c in
            let spec = d.args[0].value
            var host = "*"
            var portStr = spec
            if spec.hasPrefix("[") {
                guard let close = spec.firstIndex(of: "]") else {
                    throw ConfigError("invalid host in \"\(spec)\" of the \"listen\" directive", at: d.location)
                }
                host = String(spec[spec.index(after: spec.startIndex)..<close])
                let rest = spec[spec.index(after: close)...]
                portStr = rest.hasPrefix(":") ? String(rest.dropFirst()) : "80"
            } else if let colon = spec.lastIndex(of: ":") {
                host = String(spec[..<colon])
                portStr = String(spec[spec.index(after: colon)...])
            } else if Int(spec) == nil {
                host = spec
                portStr = "80"
            }
            if host == "localhost" { host = "127.0.0.1" }
            guard let port = Int(portStr), port > 0, port < 65536 else {
                throw ConfigError("invalid port in \"\(spec)\" of the \"listen\" directive", at: d.location)
            }
            var l = ListenConfig(host: host, port: port, defaultServer: false, reuseport: false, backlog: 511)
            for a in d.args.dropFirst() {
                let v = a.value
                if v == "default_server" || v == "default" {
                    l.defaultServer = true
                } else if v == "reuseport" {
                    l.reuseport = true
                } else if v.hasPrefix("backlog=") {
                    guard let b = Int(v.dropFirst(8)) else {
                        throw ConfigError("invalid backlog \"\(v.dropFirst(8))\"", at: d.location)
                    }
                    l.backlog = b
                } else if v == "bind" || v.hasPrefix("rcvbuf=") || v.hasPrefix("sndbuf=") || v == "deferred"
                    || v.hasPrefix("so_keepalive=") || v.hasPrefix("fastopen=")
                {
                    continue
                } else if v == "ssl" {
                    l.ssl = true
                } else if v == "http2" || v == "quic" || v == "proxy_protocol" {
                    throw ConfigError("the \"\(v)\" parameter of the \"listen\" directive is not supported yet", at: d.location)
                } else {
                    throw ConfigError("invalid parameter \"\(v)\"", at: d.location)
                }
            }
            if c.server!.listens.contains(where: { $0.key == l.key }) {
                let shown = (l.host == "*" ? "0.0.0.0" : l.host) + ":\(l.port)"
                throw ConfigError("a duplicate listen \(shown)", at: d.location)
            }
            c.server!.listens.append(l)
        }
        R(DirectiveSpec("server_name", .server, .atLeast(1))) { d, c in
            for a in d.args {
                let n = a.value
                if n.hasPrefix("~") {
                    c.server!.regexNames.append(
                        try ConfigRegex.compile(String(n.dropFirst()), caseless: true, at: d.location))
                } else {
                    c.server!.names.append(n.lowercased())
                }
            }
        }
        R(DirectiveSpec("location", [.server, .location], .oneOf([1, 2]), block: .block)) { d, c in
            let parentLoc = c.loc!
            var match: LocationMatch
            let a0 = d.args[0].value
            if d.args.count == 2 {
                let pat = d.args[1].value
                switch a0 {
                case "=": match = .exact(pat)
                case "^~": match = .prefixNoRegex(pat)
                case "~", "~*":
                    let re = try ConfigRegex.compile(pat, caseless: a0 == "~*", at: d.location)
                    match = .regex(re, caseless: a0 == "~*")
                default:
                    throw ConfigError("invalid location modifier \"\(a0)\"", at: d.location)
                }
            } else if a0.hasPrefix("=") && a0.count > 1 {
                match = .exact(String(a0.dropFirst()))
            } else if a0.hasPrefix("~*") && a0.count > 2 {
                match = .regex(
                    try ConfigRegex.compile(String(a0.dropFirst(2)), caseless: true, at: d.location), caseless: true)
            } else if a0.hasPrefix("~") && a0.count > 1 {
                match = .regex(try ConfigRegex.compile(String(a0.dropFirst()), at: d.location), caseless: false)
            } else if a0.hasPrefix("^~") && a0.count > 2 {
                match = .prefixNoRegex(String(a0.dropFirst(2)))
            } else if a0.hasPrefix("@") {
                match = .named(String(a0.dropFirst()))
            } else {
                match = .prefix(a0)
            }
            if case .named = match, c.context != .server {
                throw ConfigError("named location \"\(a0)\" can be on the server level only", at: d.location)
            }
            if c.context == .location {
                if case .named = parentLoc.match {
                    var parentName = ""
                    if case .named(let n) = parentLoc.match { parentName = n }
                    throw ConfigError(
                        "location \"\(a0)\" cannot be inside the named location \"@\(parentName)\"", at: d.location)
                }
                if case .exact = parentLoc.match {
                    throw ConfigError("location \"\(a0)\" cannot be inside the exact location \"\(parentLoc.prefixString ?? "")\"", at: d.location)
                }
                if let pp = parentLoc.prefixString, let mine = locPrefix(match), !mine.hasPrefix(pp) {
                    throw ConfigError("location \"\(mine)\" is outside location \"\(pp)\"", at: d.location)
                }
            }
            let l = LocationConfig(match: match, location: d.location, parent: parentLoc)
            l.server = c.server
            // Duplicates.
            for other in parentLoc.children {
                if let a = locPrefix(other.match), let b = locPrefix(match), a == b,
                    isExact(other.match) == isExact(match)
                {
                    throw ConfigError("duplicate location \"\(b)\"", at: d.location)
                }
            }
            if case .named(let n) = match {
                if parentLoc.named[n] != nil {
                    throw ConfigError("duplicate location \"@\(n)\"", at: d.location)
                }
                parentLoc.named[n] = l
            } else {
                parentLoc.children.append(l)
            }
            let savedCtx = c.context
            c.loc = l
            c.context = .location
            try ConfigLoader.walk(d.block ?? [], c)
            c.loc = parentLoc
            c.context = savedCtx
        }
        R(DirectiveSpec("types", .httpAll, .exactly(0), block: .block)) { d, c in
            var map: [String: String] = [:]
            for t in d.block ?? [] {
                // A type without extensions is accepted, as nginx does.
                for ext in t.values {
                    map[ext.lowercased()] = t.name
                }
            }
            if var existing = c.loc!.types {
                existing.merge(map) { _, n in n }
                c.loc!.types = existing
            } else {
                c.loc!.types = map
            }
        }
    }

    static func locPrefix(_ m: LocationMatch) -> String? {
        switch m {
        case .exact(let s), .prefix(let s), .prefixNoRegex(let s): return s
        default: return nil
        }
    }

    static func isExact(_ m: LocationMatch) -> Bool {
        if case .exact = m { return true }
        return false
    }

    static func registerHTTPSettings() {
        let R = DirectiveRegistry.register
        let locIf: DirectiveContext = [.http, .server, .location, .locationIf]
        R(DirectiveSpec("root", locIf, .exactly(1))) { d, c in
            if c.loc!.alias != nil {
                throw ConfigError("\"root\" directive is duplicate, \"alias\" directive was specified earlier", at: d.location)
            }
            if c.loc!.root != nil {
                throw ConfigError("\"root\" directive is duplicate", at: d.location)
            }
            c.loc!.root = try ComplexValue(d.args[0].value, at: d.location)
        }
        R(DirectiveSpec("alias", .location, .exactly(1))) { d, c in
            if c.loc!.root != nil {
                throw ConfigError("\"alias\" directive is duplicate, \"root\" directive was specified earlier", at: d.location)
            }
            c.loc!.alias = try ComplexValue(d.args[0].value, at: d.location)
        }
        R(DirectiveSpec("index", .httpAll, .atLeast(1))) { d, c in
            c.loc!.index = try d.values.map { try ComplexValue($0, at: d.location) }
        }
        R(DirectiveSpec("try_files", [.server, .location], .atLeast(2))) { d, c in
            let last = d.values.last!
            if last.hasPrefix("="), Int(last.dropFirst()) == nil {
                throw ConfigError("invalid code \"\(last)\"", at: d.location)
            }
            c.loc!.tryFiles = try d.values.map { try ComplexValue($0, at: d.location) }
        }
        R(DirectiveSpec("internal", .location, .exactly(0))) { _, c in c.loc!.internalOnly = true }
        R(DirectiveSpec("default_type", .httpAll, .exactly(1))) { d, c in c.loc!.defaultType = d.args[0].value }
        R(DirectiveSpec("client_max_body_size", .httpAll, .exactly(1))) { d, c in
            c.loc!.clientMaxBodySize = try size(d)
        }
        R(DirectiveSpec("client_body_buffer_size", .httpAll, .exactly(1))) { d, c in
            c.loc!.clientBodyBufferSize = try size(d)
        }
        R(DirectiveSpec("client_body_timeout", .httpAll, .exactly(1))) { d, c in
            c.loc!.clientBodyTimeout = try msec(d)
        }
        R(DirectiveSpec("send_timeout", .httpAll, .exactly(1))) { d, c in c.loc!.sendTimeout = try msec(d) }
        R(DirectiveSpec("keepalive_timeout", .httpAll, .oneOf([1, 2]))) { d, c in
            c.loc!.keepaliveTimeout = try msec(d)
            // The second value is sent as "Keep-Alive: timeout=N" (seconds).
            if d.args.count == 2 { c.loc!.keepaliveHeaderTimeout = try msec(d, 1) / 1000 }
        }
        R(DirectiveSpec("max_ranges", .httpAll, .exactly(1))) { d, c in
            guard let n = Int(d.args[0].value), n >= 0 else {
                throw ConfigError("invalid number \"\(d.args[0].value)\"", at: d.location)
            }
            c.loc!.maxRanges = n
        }
        R(DirectiveSpec("keepalive_requests", .httpAll, .exactly(1))) { d, c in
            guard let n = Int(d.args[0].value) else {
                throw ConfigError("invalid number \"\(d.args[0].value)\"", at: d.location)
            }
            c.loc!.keepaliveRequests = n
        }
        R(DirectiveSpec("client_header_timeout", [.http, .server], .exactly(1))) { d, c in
            let v = try msec(d)
            serverSetting(d, c) { $0.clientHeaderTimeout = v }
        }
        R(DirectiveSpec("client_header_buffer_size", [.http, .server], .exactly(1))) { d, c in
            let v = try size(d)
            serverSetting(d, c) { $0.headerLimits.bufferSize = v }
        }
        R(DirectiveSpec("large_client_header_buffers", [.http, .server], .exactly(2))) { d, c in
            guard let n = Int(d.args[0].value), n > 0 else {
                throw ConfigError("invalid value \"\(d.args[0].value)\"", at: d.location)
            }
            let s = try size(d, 1)
            serverSetting(d, c) {
                $0.headerLimits.largeBufferCount = n
                $0.headerLimits.largeBufferSize = s
            }
        }
        R(DirectiveSpec("underscores_in_headers", [.http, .server], .flag)) { d, c in
            let v = d.flagValue
            serverSetting(d, c) { $0.headerLimits.underscoresInHeaders = v }
        }
        R(DirectiveSpec("ignore_invalid_headers", [.http, .server], .flag)) { d, c in
            let v = d.flagValue
            serverSetting(d, c) { $0.headerLimits.ignoreInvalidHeaders = v }
        }
        R(DirectiveSpec("merge_slashes", [.http, .server], .flag)) { d, c in
            let v = d.flagValue
            serverSetting(d, c) { $0.mergeSlashes = v }
        }
        let flags: [(String, ReferenceWritableKeyPath<LocationConfig, Bool?>)] = [
            ("log_not_found", \.logNotFound), ("etag", \.etag), ("recursive_error_pages", \.recursiveErrorPages),
            ("absolute_redirect", \.absoluteRedirect), ("server_name_in_redirect", \.serverNameInRedirect),
            ("port_in_redirect", \.portInRedirect), ("chunked_transfer_encoding", \.chunkedTransferEncoding),
            ("msie_padding", \.msiePadding), ("uninitialized_variable_warn", \.uninitializedVariableWarn),
        ]
        for (name, kp) in flags {
            R(DirectiveSpec(name, .httpAll, .flag)) { d, c in c.loc![keyPath: kp] = d.flagValue }
        }
        R(DirectiveSpec("rewrite_log", [.http, .server, .location, .serverIf, .locationIf], .flag)) { d, c in
            c.loc!.rewriteLog = d.flagValue
        }
        R(DirectiveSpec("if_modified_since", .httpAll, .exactly(1))) { d, c in
            let v = d.args[0].value
            guard ["off", "exact", "before"].contains(v) else {
                throw ConfigError("invalid value \"\(v)\" in \"if_modified_since\" directive", at: d.location)
            }
            c.loc!.ifModifiedSince = v
        }
        R(DirectiveSpec("error_page", [.http, .server, .location, .locationIf], .atLeast(2))) { d, c in
            var codes: Set<Int> = []
            var override = ErrorPageRule.Override.none
            let vals = d.values
            let target = vals.last!
            for v in vals.dropLast() {
                if v.hasPrefix("=") {
                    if v == "=" {
                        override = .useTarget
                    } else if let n = Int(v.dropFirst()) {
                        override = .code(n)
                    } else {
                        throw ConfigError("invalid value \"\(v)\"", at: d.location)
                    }
                    continue
                }
                guard let code = Int(v) else {
                    throw ConfigError("invalid value \"\(v)\"", at: d.location)
                }
                guard code >= 300, code <= 599 else {
                    throw ConfigError("value \"\(v)\" must be between 300 and 599", at: d.location)
                }
                codes.insert(code)
            }
            if codes.isEmpty {
                throw ConfigError("invalid number of arguments in \"error_page\" directive", at: d.location)
            }
            var list = c.loc!.errorPages ?? []
            list.append(ErrorPageRule(codes: codes, override: override, target: try ComplexValue(target, at: d.location)))
            c.loc!.errorPages = list
        }
        R(DirectiveSpec("add_header", [.http, .server, .location, .locationIf], .oneOf([2, 3]))) { d, c in
            var always = false
            if d.args.count == 3 {
                guard d.args[2].value == "always" else {
                    throw ConfigError("invalid parameter \"\(d.args[2].value)\"", at: d.location)
                }
                always = true
            }
            var list = c.loc!.addHeaders ?? []
            list.append(AddHeader(name: d.args[0].value, value: try ComplexValue(d.args[1].value, at: d.location), always: always))
            c.loc!.addHeaders = list
        }
        R(DirectiveSpec("allow", [.http, .server, .location, .limitExcept], .exactly(1))) { d, c in try accessRule(d, c, allow: true) }
        R(DirectiveSpec("deny", [.http, .server, .location, .limitExcept], .exactly(1))) { d, c in try accessRule(d, c, allow: false) }
        R(DirectiveSpec("log_format", .http, .atLeast(2))) { d, c in
            var args = d.values
            let name = args.removeFirst()
            var escape = "default"
            if let first = args.first, first.hasPrefix("escape=") {
                escape = String(first.dropFirst(7))
                args.removeFirst()
            }
            do {
                c.http!.logFormats[name] = try LogFormat(args.joined(), escape: escape)
            } catch {
                throw ConfigError("\(error)", at: d.location)
            }
        }
        R(DirectiveSpec("access_log", [.http, .server, .location, .locationIf], .atLeast(1))) { d, c in
            let path = d.args[0].value
            if path == "off" {
                if d.args.count > 1 {
                    throw ConfigError("invalid parameter \"\(d.args[1].value)\"", at: d.location)
                }
                c.loc!.accessLogs = []
                return
            }
            var format = "combined"
            var buffer = 0
            for (i, a) in d.values.dropFirst().enumerated() {
                if a.hasPrefix("buffer=") {
                    buffer = ConfUnits.size(String(a.dropFirst(7))) ?? 0
                } else if a.hasPrefix("flush=") || a.hasPrefix("gzip") || a.hasPrefix("if=") {
                    continue
                } else if i == 0 {
                    format = a
                } else {
                    throw ConfigError("invalid parameter \"\(a)\"", at: d.location)
                }
            }
            guard let fmt = c.http!.logFormats[format] else {
                throw ConfigError("unknown log format \"\(format)\"", at: d.location)
            }
            let abs = c.cycle.absolute(path)
            let target = AccessLogTarget(file: try openLog(abs, buffer, d), format: fmt)
            var list = c.loc!.accessLogs ?? []
            list.append(target)
            c.loc!.accessLogs = list
        }
    }

    static func openLog(_ path: String, _ buffer: Int, _ d: ConfDirective) throws -> AccessLogFile {
        do {
            return try AccessLogFile.get(path, bufferSize: buffer)
        } catch {
            throw ConfigError("\(error)", at: d.location)
        }
    }

    /// A server-level setting: applied now inside `server {}`; at the http level it
    /// becomes the default for servers that do not set it (nginx's merge_srv_conf).
    static func serverSetting(_ d: ConfDirective, _ c: BuildContext, _ apply: @escaping (ServerConfig) -> Void) {
        if let s = c.server {
            apply(s)
            s.explicitSettings.insert(d.name)
        } else if let http = c.http {
            http.serverDefaults[d.name] = apply
        }
    }

    static func accessRule(_ d: ConfDirective, _ c: BuildContext, allow: Bool) throws {
        let v = d.args[0].value
        var rule = AccessRule(allow: allow, network: nil)
        if v != "all" {
            guard let n = IPNetwork(v) else {
                throw ConfigError("invalid parameter \"\(v)\"", at: d.location)
            }
            rule.network = n
        }
        var list = c.loc!.accessRules ?? []
        list.append(rule)
        c.loc!.accessRules = list
    }
}

/// Boxes a value for `moduleConf`.
public final class Box<T> {
    public var value: T
    public init(_ v: T) { value = v }
}
