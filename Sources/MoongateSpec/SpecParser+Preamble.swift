import Foundation

extension SpecParser {
    /// Reads the settings calls and scalar assignments of the Perl preamble; any other
    /// Perl is ignored.
    public func parsePreamble(_ text: String) -> SpecPreamble {
        var result = SpecPreamble()
        var perl = PerlString(variables: ["pwd": workingDirectory], environment: environment, lenient: true)
        let bytes = Array(text.utf8)
        var pos = 0
        while pos < bytes.count {
            while pos < bytes.count, bytes[pos] == 32 || bytes[pos] == 9 || bytes[pos] == 10 { pos += 1 }
            var end = pos
            while end < bytes.count, bytes[end] != 10 { end += 1 }
            let line = String(decoding: bytes[pos..<end], as: UTF8.self)
            var next = end + 1
            if line.hasPrefix("#") {
                pos = next
                continue
            }
            if let m = SpecParser.firstMatch(#"^(repeat_each|no_long_string|no_shuffle|log_level|master_on|master_off|workers|worker_connections|env_to_nginx|no_root_location)\s*\((.*?)\)"#, line) {
                let args = (try? perl.evaluate("(" + m[2] + ")"))?.elements.map(\.stringValue) ?? []
                let first = args.first ?? ""
                switch m[1] {
                case "repeat_each": result.repeatEach = Int(first) ?? 1
                case "no_long_string": result.noLongString = true
                case "no_shuffle": result.noShuffle = true
                case "log_level": if !first.isEmpty { result.logLevel = first }
                case "master_on": result.masterProcess = true
                case "master_off": result.masterProcess = false
                case "workers": result.workers = Int(first) ?? 1
                case "worker_connections": result.workerConnections = Int(first) ?? 64
                case "env_to_nginx": result.envToNginx += args
                default: result.noRootLocation = true
                }
            } else if let m = SpecParser.firstMatch(#"^(?:our|my)\s+\$(\w+)\s*=\s*"#, line) {
                let start = pos + m[0].utf8.count
                if m[1] == "pwd" || line.contains("cwd()") {
                    perl.variables[m[1]] = workingDirectory
                } else if let (value, stop) = try? perl.evaluatePrefix(bytes, from: start) {
                    perl.variables[m[1]] = value.stringValue
                    next = max(next, stop)
                }
            } else if let m = SpecParser.firstMatch(#"^\$ENV\{\s*['"]?(\w+)['"]?\s*\}\s*(\|\||//)?=\s*"#, line) {
                let start = pos + m[0].utf8.count
                if let (value, stop) = try? perl.evaluatePrefix(bytes, from: start) {
                    let conditional = !m[2].isEmpty
                    if !conditional || (perl.environment[m[1]] ?? "").isEmpty {
                        perl.environment[m[1]] = value.stringValue
                        result.environment[m[1]] = value.stringValue
                    }
                    next = max(next, stop)
                }
            }
            pos = next
        }
        result.variables = perl.variables
        result.variables.removeValue(forKey: "pwd")
        return result
    }

    /// The capture groups of the first match of `pattern` in `text` (missing groups are "").
    static func firstMatch(_ pattern: String, _ text: String) -> [String]? {
        guard let re = try? NSRegularExpression(pattern: pattern),
              let m = re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
        return (0..<m.numberOfRanges).map { i in
            Range(m.range(at: i), in: text).map { String(text[$0]) } ?? ""
        }
    }
}
