import Foundation

/// The outcome of one test block.
public struct TestResult: Sendable {
    /// How a block ended.
    public enum Status: Sendable, Equatable {
        /// Every check held.
        case passed
        /// At least one check failed; the messages say which.
        case failed([String])
        /// Not run, with the reason.
        case skipped(String)
    }

    /// The spec file path as given.
    public var file: String
    /// The block title, e.g. `TEST 1: sanity`.
    public var name: String
    /// The outcome.
    public var status: Status
    /// Extra text shown under a failure in verbose mode (config, raw responses).
    public var verboseDetail: String = ""

    /// Formats the TAP-like line(s) for test number `number`.
    public func tap(number: Int, verbose: Bool) -> String {
        let title = "\(file) \(name)"
        switch status {
        case .passed:
            return "ok \(number) - \(title)"
        case .skipped(let reason):
            return "ok \(number) - \(title) # SKIP \(reason)"
        case .failed(let messages):
            var lines = ["not ok \(number) - \(title)"]
            for m in messages {
                for l in m.components(separatedBy: "\n") { lines.append("#   \(l)") }
            }
            if verbose, !verboseDetail.isEmpty {
                for l in verboseDetail.components(separatedBy: "\n") { lines.append("#     \(l)") }
            }
            return lines.joined(separator: "\n")
        }
    }
}

/// A failure of the runner itself (cannot spawn, cannot write files).
public struct RunnerError: Error, CustomStringConvertible, Equatable {
    /// What went wrong.
    public var message: String
    /// The message.
    public var description: String { message }
}
