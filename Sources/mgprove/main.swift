import Foundation
import MoongateSpec

// mgprove [-j [N]] [-v] [--binary PATH] [--test SUBSTRING] [files or dirs...]
var options = RunnerOptions()
var paths: [String] = []
var args = Array(CommandLine.arguments.dropFirst())
while !args.isEmpty {
    let arg = args.removeFirst()
    switch arg {
    case "-j", "--jobs":
        if let n = args.first.flatMap(Int.init) {
            args.removeFirst()
            options.jobs = max(1, n)
        } else {
            options.jobs = 2
        }
    case "-v", "--verbose":
        options.verbose = true
    case "--binary":
        guard !args.isEmpty else { FileHandle.standardError.write("--binary needs a path\n".data(using: .utf8)!); exit(2) }
        let b = args.removeFirst()
        options.binary = b.hasPrefix("/") ? b : FileManager.default.currentDirectoryPath + "/" + b
    case "--test":
        guard !args.isEmpty else { FileHandle.standardError.write("--test needs a text\n".data(using: .utf8)!); exit(2) }
        options.filter = args.removeFirst()
    case "-h", "--help":
        print("usage: mgprove [-j [N]] [-v] [--binary PATH] [--test SUBSTRING] [files or dirs...]")
        exit(0)
    default:
        if arg.hasPrefix("-j"), let n = Int(arg.dropFirst(2)) {
            options.jobs = max(1, n)
        } else {
            paths.append(arg)
        }
    }
}
if !paths.isEmpty { options.paths = paths }
let summary = Runner(options: options).run()
exit(summary.failed == 0 ? 0 : 1)
