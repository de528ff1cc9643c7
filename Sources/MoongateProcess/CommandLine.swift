import MoongateCore
import MoongateHTTP
#if canImport(Glibc)
import Glibc
#endif

/// nginx's command line: `-v -V -t -T -q -s signal -p prefix -c file -e file -g directives -h`.
public struct CommandLineOptions {
    public var showVersion = false
    public var showConfigure = false
    public var testConfig = false
    public var dumpConfig = false
    public var quiet = false
    public var signal: String? = nil
    public var prefix: String
    public var confFile: String? = nil
    public var errorLog: String? = nil
    public var globals: String? = nil
    public var help = false

    /// Parses arguments (without the program name); throws nginx's messages.
    public init(_ args: [String]) throws {
        var cwd = [CChar](repeating: 0, count: 4096)
        getcwd(&cwd, 4096)
        prefix = String(cString: cwd) + "/"
        var i = 0
        func value(_ flag: String, _ rest: Substring) throws -> String {
            if !rest.isEmpty { return String(rest) }
            i += 1
            guard i < args.count else { throw CoreError("option \"-\(flag)\" requires \(flagWord(flag))") }
            return args[i]
        }
        var prefixSet: String? = nil
        while i < args.count {
            let a = args[i]
            guard a.hasPrefix("-"), a.count >= 2 else { throw CoreError("invalid option: \"\(a)\"") }
            var chars = Substring(a.dropFirst())
            while let c = chars.first {
                chars = chars.dropFirst()
                switch c {
                case "?", "h": help = true
                case "v": showVersion = true
                case "V":
                    showVersion = true
                    showConfigure = true
                case "t": testConfig = true
                case "T":
                    testConfig = true
                    dumpConfig = true
                case "q": quiet = true
                case "p":
                    prefixSet = try value("p", chars)
                    chars = ""
                case "c":
                    confFile = try value("c", chars)
                    chars = ""
                case "e":
                    errorLog = try value("e", chars)
                    chars = ""
                case "g":
                    globals = try value("g", chars)
                    chars = ""
                case "s":
                    let s = try value("s", chars)
                    chars = ""
                    guard ["stop", "quit", "reopen", "reload"].contains(s) else {
                        throw CoreError("invalid option: \"-s \(s)\"")
                    }
                    signal = s
                default:
                    throw CoreError("invalid option: \"\(c)\"")
                }
            }
            i += 1
        }
        if let p = prefixSet {
            var abs = p.hasPrefix("/") ? p : String(cString: cwd) + "/" + p
            if !abs.hasSuffix("/") { abs += "/" }
            prefix = abs
        }
    }

    /// Absolute path of the configuration file.
    public var confPath: String {
        let f = confFile ?? "conf/nginx.conf"
        if f.hasPrefix("/") { return f }
        if confFile != nil {
            var cwd = [CChar](repeating: 0, count: 4096)
            getcwd(&cwd, 4096)
            // nginx resolves -c against the prefix.
            return prefix + f
        }
        return prefix + f
    }
}

private func flagWord(_ f: String) -> String {
    switch f {
    case "p": return "directory name"
    case "c", "e": return "file name"
    case "g": return "parameter"
    case "s": return "parameter"
    default: return "parameter"
    }
}
