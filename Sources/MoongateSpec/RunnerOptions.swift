import Foundation

/// Settings of one `mgprove` run.
public struct RunnerOptions: Sendable {
    /// The server binary (`TEST_NGINX_BINARY`, `--binary`).
    public var binary: String
    /// Spec files or directories to run.
    public var paths: [String] = ["t/"]
    /// Print the generated config and raw responses of failing tests.
    public var verbose = false
    /// Run only tests whose name contains this text.
    public var filter: String?
    /// How many spec files run at once, each with its own server root and port.
    public var jobs = 1
    /// The server root (`TEST_NGINX_SERVROOT`, default `t/servroot`).
    public var serverRoot: String
    /// A fixed port (`TEST_NGINX_PORT`); otherwise a free one is picked.
    public var port: Int?
    /// Dynamic modules for `load_module` (`TEST_NGINX_LOAD_MODULES`).
    public var loadModules: [String] = []
    /// The environment that `$TEST_NGINX_*` and `$ENV{...}` read.
    public var environment: [String: String]

    /// Defaults taken from the environment, as Test::Nginx reads them.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
        let cwd = FileManager.default.currentDirectoryPath
        if let b = environment["TEST_NGINX_BINARY"], !b.isEmpty {
            binary = b
        } else if FileManager.default.isExecutableFile(atPath: cwd + "/.build/release/moongate") {
            binary = cwd + "/.build/release/moongate"
        } else {
            binary = cwd + "/.build/debug/moongate"
        }
        let root = environment["TEST_NGINX_SERVROOT"].flatMap { $0.isEmpty ? nil : $0 } ?? "t/servroot"
        serverRoot = root.hasPrefix("/") ? root : cwd + "/" + root
        port = environment["TEST_NGINX_PORT"].flatMap { Int($0) }
        loadModules = (environment["TEST_NGINX_LOAD_MODULES"] ?? "").split(separator: " ").map(String.init)
    }

    /// Expands directories into their `*.t` files, sorted.
    public func specFiles() -> [String] {
        var files: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
                files.append(path)
                continue
            }
            if isDir.boolValue {
                let base = path.hasSuffix("/") ? path : path + "/"
                let items = (fm.enumerator(atPath: path)?.allObjects as? [String]) ?? []
                files += items.filter { $0.hasSuffix(".t") && !$0.contains("servroot") }.sorted().map { base + $0 }
            } else {
                files.append(path)
            }
        }
        return files
    }
}
