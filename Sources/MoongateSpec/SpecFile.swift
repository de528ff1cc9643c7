import Foundation

/// Settings read from the Perl preamble before `__DATA__`.
public struct SpecPreamble: Equatable, Sendable {
    /// `repeat_each(N)`; the runner treats every value as 1.
    public var repeatEach = 1
    /// `no_long_string()`: print full strings in diagnostics.
    public var noLongString = false
    /// `no_shuffle()`; blocks always run in file order here.
    public var noShuffle = false
    /// `log_level('warn')`: the error_log level, `debug` by default.
    public var logLevel = "debug"
    /// `master_on()` / `master_off()`.
    public var masterProcess = false
    /// `workers(N)`.
    public var workers = 1
    /// `worker_connections(N)`.
    public var workerConnections = 64
    /// `env_to_nginx(...)` arguments, emitted as `env ...;` lines.
    public var envToNginx: [String] = []
    /// `no_root_location()`: never add the default `location /`.
    public var noRootLocation = false
    /// Scalars assigned with `our $X = ...` / `my $X = ...`, by name.
    public var variables: [String: String] = [:]
    /// `$ENV{NAME} = ...` or `||= ...` assignments.
    public var environment: [String: String] = [:]

    /// Creates default settings.
    public init() {}
}

/// A parsed Test::Nginx spec file.
public struct SpecFile: Equatable, Sendable {
    /// The path the file was read from.
    public var path: String
    /// Settings from the Perl preamble.
    public var preamble: SpecPreamble
    /// The test blocks in file order.
    public var blocks: [SpecBlock]

    /// Creates a spec file.
    public init(path: String, preamble: SpecPreamble = SpecPreamble(), blocks: [SpecBlock] = []) {
        self.path = path
        self.preamble = preamble
        self.blocks = blocks
    }
}
