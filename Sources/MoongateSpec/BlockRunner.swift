import Foundation

/// Runs one test block against a freshly started server: writes the config and user
/// files, starts the server, sends the requests, checks, and stops it by pid.
public struct BlockRunner: Sendable {
    /// The run's options (binary, modules, environment).
    public var options: RunnerOptions
    /// The absolute server root of this file.
    public var serverRoot: String
    /// The port of this file's server.
    public var port: Int
    /// `$TEST_NGINX_RAND_PORT_1..5`.
    public var randomPorts: [Int]

    /// Sections that carry checks or fixtures this runner cannot honour; a block that
    /// has one is skipped rather than passed without them.
    public static let unsupportedSections: Set<String> = [
        "tcp_query", "udp_listen", "udp_reply",
        "udp_query", "stream_server_config", "stream_config", "stream_request", "stream_response",
        "stream_response_like", "http2", "curl", "raw_response_headers_like", "raw_response_headers_unlike",
        "response_body_filters", "shutdown_error_log", "stap", "stap_out", "stap_out_like", "error_log_file",
        "error_code_like", "server_name", "request_eval", "response",
    ]

    /// Test::Nginx restarts the server only for a block with `--- config`: without one it
    /// keeps the previous block's server (and bails out on a file's first block), so that
    /// block's http_config, main_config and user_files would be silently ignored there.
    public static func withoutConfigProblem(_ block: SpecBlock, isFirst: Bool) -> String? {
        if block.sections.contains(where: { $0.name == "config" }) { return nil }
        if isFirst { return "no --- config in the file's first block: Test::Nginx bails out" }
        let ignored = ["http_config", "main_config", "post_main_config", "user_files"]
        if let s = block.sections.first(where: { ignored.contains($0.name) }) {
            return "--- \(s.name) without --- config: Test::Nginx keeps the previous server and ignores it"
        }
        return nil
    }

    /// The `TEST_NGINX_*` variables a config may use.
    public func variables(preamble: SpecPreamble) -> [String: String] {
        var vars: [String: String] = [
            "TEST_NGINX_SERVER_PORT": String(port), "TEST_NGINX_CLIENT_PORT": String(port),
            "TEST_NGINX_HTML_DIR": serverRoot + "/html", "TEST_NGINX_SERVER_ROOT": serverRoot,
            "TEST_NGINX_SERVROOT": serverRoot, "TEST_NGINX_MEMCACHED_PORT": "11211",
            "TEST_NGINX_REDIS_PORT": "6379", "TEST_NGINX_MYSQL_PORT": "3306", "TEST_NGINX_RESOLVER": "8.8.8.8",
        ]
        for (i, p) in randomPorts.prefix(5).enumerated() { vars["TEST_NGINX_RAND_PORT_\(i + 1)"] = String(p) }
        // ngx_lua's ssl tests set these in their preamble (`||=`); a file that does not
        // gets a free port for its `listen ... ssl` server.
        if randomPorts.count > 5 { vars["TEST_NGINX_SERVER_SSL_PORT"] = String(randomPorts[5]) }
        for (k, v) in options.environment.merging(preamble.environment, uniquingKeysWith: { $1 })
        where k.hasPrefix("TEST_NGINX_") && !["TEST_NGINX_PORT", "TEST_NGINX_SERVROOT"].contains(k) {
            vars[k] = v
        }
        return vars
    }

    /// Runs `block` of `file` and returns its result.
    public func run(_ block: SpecBlock, in file: SpecFile) -> TestResult {
        var result = TestResult(file: file.path, name: block.name, status: .passed)
        if block.isSkipped {
            result.status = .skipped("--- SKIP")
            return result
        }
        if let bad = block.sections.first(where: { BlockRunner.unsupportedSections.contains($0.name) }) {
            result.status = .skipped("unsupported section --- \(bad.name)")
            return result
        }
        if let problem = BlockRunner.withoutConfigProblem(block, isFirst: file.blocks.first?.name == block.name) {
            result.status = .failed([problem])
            return result
        }
        var vars = variables(preamble: file.preamble)
        if vars["TEST_NGINX_CERT_DIR"] == nil {
            // ngx_lua's default: the test file's directory (certificates under cert/).
            let dir = file.path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            let abs = dir.hasPrefix("/") ? dir : FileManager.default.currentDirectoryPath + "/" + (dir.isEmpty ? "." : dir)
            vars["TEST_NGINX_CERT_DIR"] = abs
        }
        let env = options.environment.merging(file.preamble.environment) { $1 }
        let perl = PerlString(variables: file.preamble.variables.merging(["ServerPort": String(port)]) { $1 },
                              environment: env.merging(vars) { $1 })
        let resolver = SectionResolver(perl: perl, variables: vars)
        let plan: BlockPlan
        do {
            plan = try BlockPlan(block: block, preamble: file.preamble, resolver: resolver,
                                 serverRoot: serverRoot, port: port, loadModules: options.loadModules)
        } catch {
            result.status = .skipped("\(error)".replacingOccurrences(of: "\n", with: "\\n"))
            return result
        }
        let failures = execute(plan, block: block, file: file, detail: &result.verboseDetail)
        if !failures.isEmpty { result.status = .failed(failures) }
        return result
    }

    func execute(_ plan: BlockPlan, block: SpecBlock, file: SpecFile, detail: inout String) -> [String] {
        let fm = FileManager.default
        let html = serverRoot + "/html"
        try? fm.removeItem(atPath: html)
        try? fm.createDirectory(atPath: html, withIntermediateDirectories: true)
        do {
            for (path, content) in plan.userFiles {
                let full = html + "/" + path
                try fm.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try content.write(toFile: full, atomically: false, encoding: .utf8)
            }
            try plan.config.write(toFile: serverRoot + "/conf/nginx.conf", atomically: false, encoding: .utf8)
        } catch {
            return ["cannot write server files: \(error)"]
        }
        detail = "--- generated nginx.conf\n" + plan.config
        let errorLog = serverRoot + "/logs/error.log"
        let logOffset = BlockRunner.fileSize(errorLog)
        let server = ServerProcess(binary: options.binary, serverRoot: serverRoot, port: port,
                                   environment: file.preamble.environment)
        let start = server.start()
        let checker = Checker(expectations: plan.expectations, fullStrings: file.preamble.noLongString)
        if block.has("must_die") {
            if start.started {
                _ = server.stop()
                return ["must_die: the server started but was expected to fail"]
            }
            let lines = start.stderr.components(separatedBy: "\n") + BlockRunner.readLines(errorLog, from: logOffset)
            return checker.checkLog(lines.filter { !$0.isEmpty })
        }
        guard start.started else {
            var msg = "server failed to start: \(start.failure ?? "unknown")"
            let tail = (start.stderr.components(separatedBy: "\n") + BlockRunner.readLines(errorLog, from: logOffset))
                .filter { !$0.isEmpty }.suffix(8)
            if !tail.isEmpty { msg += "\n" + tail.joined(separator: "\n") }
            if server.recordedPid().map(ServerProcess.isAlive) == true { _ = server.stop() }
            return [msg]
        }
        var failures: [String] = []
        let mock = plan.tcpMock.map { TCPMock(spec: $0) }
        defer { mock?.stop() }
        if let m = mock, let err = m.start() { failures.append(err) }
        var index = 0
        let count = plan.exchanges.reduce(0) { $0 + $1.methods.count }
        for exchange in plan.exchanges {
            let raw = HTTPClient.exchange(
                port: port, request: exchange.bytes, timeout: plan.timeout, pieceEnds: exchange.pieceEnds,
                pieceDelay: exchange.pieceDelay)
            detail += "\n--- raw request\n" + String(decoding: exchange.bytes, as: UTF8.self)
            detail += "\n--- raw response\n" + String(decoding: raw.data, as: UTF8.self)
            if let err = raw.error, !(plan.expectations.abort && raw.data.isEmpty == false) {
                failures.append("request failed: \(err)")
                if raw.data.isEmpty { index += exchange.methods.count; continue }
            }
            if raw.timedOut && !plan.expectations.abort {
                failures.append("client timed out after \(plan.timeout)s (got \(raw.data.count) bytes)")
            }
            if raw.timedOut && raw.data.isEmpty {
                index += exchange.methods.count
                continue
            }
            let responses = ResponseParser.parseAll(raw.data, methods: exchange.methods)
            if responses.count < exchange.methods.count && !plan.expectations.ignoreResponse {
                failures.append("expected \(exchange.methods.count) responses, got \(responses.count)")
            }
            for r in responses {
                failures += checker.checkResponse(r, index: index, count: count)
                index += 1
            }
        }
        if plan.wait > 0 { usleep(UInt32(plan.wait * 1_000_000)) }
        failures += checker.checkLog(BlockRunner.readLines(errorLog, from: logOffset))
        if let stopFailure = server.stop() { failures.append(stopFailure) }
        if let child = start.foregroundPid { _ = Spawn(pid: child).wait(seconds: 1) }
        return failures
    }

    static func fileSize(_ path: String) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// The lines appended to `path` after byte `offset`.
    static func readLines(_ path: String, from offset: UInt64) -> [String] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        let data = (try? handle.readToEnd()) ?? Data()
        return String(decoding: data, as: UTF8.self).components(separatedBy: "\n").filter { !$0.isEmpty }
    }
}
