import Foundation

/// Totals of a run.
public struct RunSummary: Sendable, Equatable {
    /// Blocks whose checks all held.
    public var passed = 0
    /// Blocks with at least one failed check.
    public var failed = 0
    /// Blocks not run.
    public var skipped = 0

    /// The final line: `N passed, M failed[, K skipped]`.
    public var line: String {
        "\(passed) passed, \(failed) failed" + (skipped > 0 ? ", \(skipped) skipped" : "")
    }
}

/// Runs spec files (sequentially or several at once) and prints TAP-like lines.
public struct Runner: Sendable {
    /// The run's options.
    public var options: RunnerOptions

    /// Creates a runner.
    public init(options: RunnerOptions) {
        self.options = options
    }

    /// Runs every spec file, printing results through `emit`, and returns the totals.
    public func run(emit: @escaping @Sendable (String) -> Void = { print($0); fflush(stdout) }) -> RunSummary {
        let files = options.specFiles()
        var summary = RunSummary()
        var number = 0
        func report(_ results: [TestResult]) {
            for r in results {
                number += 1
                emit(r.tap(number: number, verbose: options.verbose))
                switch r.status {
                case .passed: summary.passed += 1
                case .failed: summary.failed += 1
                case .skipped: summary.skipped += 1
                }
            }
        }
        if options.jobs <= 1 || files.count <= 1 {
            for file in files {
                report(runFile(file, serverRoot: options.serverRoot, port: options.port, streaming: report))
            }
        } else {
            let box = ResultBox(count: files.count)
            DispatchQueue.concurrentPerform(iterations: min(options.jobs, files.count)) { worker in
                var i = worker
                while i < files.count {
                    box.set(i, runFile(files[i], serverRoot: options.serverRoot + "_\(worker + 1)", port: nil, streaming: nil))
                    i += options.jobs
                }
            }
            for results in box.all() { report(results) }
        }
        emit(summary.line)
        return summary
    }

    /// Runs one file; with `streaming`, results are handed over block by block and
    /// the returned array is empty.
    func runFile(_ path: String, serverRoot: String, port: Int?, streaming: (([TestResult]) -> Void)?) -> [TestResult] {
        let spec: SpecFile
        do {
            spec = try SpecParser(environment: options.environment).parseFile(at: path)
        } catch {
            return deliver([TestResult(file: path, name: "(parse)", status: .failed(["cannot read \(path): \(error)"]))], streaming)
        }
        let fm = FileManager.default
        let stale = ServerProcess(binary: options.binary, serverRoot: serverRoot, port: 0)
        stale.stopStale()
        try? fm.removeItem(atPath: serverRoot)
        for dir in ["conf", "html", "logs"] {
            try? fm.createDirectory(atPath: serverRoot + "/" + dir, withIntermediateDirectories: true)
        }
        guard let chosenPort = port ?? HTTPClient.freePort() else {
            return deliver([TestResult(file: path, name: "(setup)", status: .failed(["no free port"]))], streaming)
        }
        // Five TEST_NGINX_RAND_PORT_n and, sixth, TEST_NGINX_SERVER_SSL_PORT.
        let randomPorts = (1...6).compactMap { _ in HTTPClient.freePort() }
        let runner = BlockRunner(options: options, serverRoot: serverRoot, port: chosenPort, randomPorts: randomPorts)
        var blocks = spec.blocks
        if blocks.contains(where: \.isOnly) { blocks = blocks.filter(\.isOnly) }
        if let filter = options.filter { blocks = blocks.filter { $0.name.contains(filter) } }
        var results: [TestResult] = []
        for block in blocks {
            let r = runner.run(block, in: spec)
            if let streaming { streaming([r]) } else { results.append(r) }
        }
        return results
    }

    func deliver(_ results: [TestResult], _ streaming: (([TestResult]) -> Void)?) -> [TestResult] {
        if let streaming { streaming(results); return [] }
        return results
    }
}

/// Per-file results filled in by parallel workers.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [[TestResult]]

    init(count: Int) { slots = Array(repeating: [], count: count) }

    func set(_ i: Int, _ results: [TestResult]) {
        lock.lock()
        slots[i] = results
        lock.unlock()
    }

    func all() -> [[TestResult]] {
        lock.lock()
        defer { lock.unlock() }
        return slots
    }
}
