import Foundation

/// Compares responses and error-log lines with a block's ``Expectations``; every
/// mismatch becomes one failure message (first line a summary, then details).
public struct Checker: Sendable {
    /// The expectations to check.
    public var expectations: Expectations
    /// Show full strings instead of shortened ones (`no_long_string()`).
    public var fullStrings: Bool

    /// Creates a checker.
    public init(expectations: Expectations, fullStrings: Bool = false) {
        self.expectations = expectations
        self.fullStrings = fullStrings
    }

    /// Picks the element for request `index` from a per-request array, or the value itself.
    static func pick(_ value: PerlValue?, _ index: Int) -> PerlValue? {
        guard let value else { return nil }
        if case .array(let items) = value { return index < items.count ? items[index] : nil }
        return value
    }

    /// Checks response number `index` (0-based) of `count`.
    public func checkResponse(_ response: HTTPResponse, index: Int, count: Int) -> [String] {
        let e = expectations
        if e.ignoreResponse { return [] }
        var failures: [String] = []
        let tag = count > 1 ? " (request \(index))" : ""
        if let err = response.parseError { failures.append("malformed response\(tag): \(err)") }
        let expectedCode = Checker.pick(e.errorCode, index).map { $0.stringValue.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "200"
        let gotCode = response.status.map(String.init) ?? "(no status line)"
        if expectedCode != gotCode {
            failures.append("status code\(tag): expected \(expectedCode), got \(gotCode)")
        }
        let body = response.bodyText
        if let expected = Checker.pick(e.responseBody, index) {
            let want = withPort(expected.stringValue)
            if want != body {
                var lines = ["response_body\(tag) mismatch", "expected: \(Diagnostics.show(want, full: fullStrings))",
                             "got:      \(Diagnostics.show(body, full: fullStrings))"]
                lines += Diagnostics.diff(expected: want, got: body)
                failures.append(lines.joined(separator: "\n"))
            }
        }
        if let like = Checker.pick(e.responseBodyLike, index), !matches(like, body) {
            failures.append("response_body_like\(tag): \(describe(like)) does not match \(Diagnostics.show(body, full: fullStrings))")
        }
        if let unlike = Checker.pick(e.responseBodyUnlike, index), matches(unlike, body) {
            failures.append("response_body_unlike\(tag): \(describe(unlike)) matches \(Diagnostics.show(body, full: fullStrings))")
        }
        if let headers = Checker.pick(e.responseHeaders, index) {
            failures += checkHeaders(headers.stringValue, response, like: false, tag: tag)
        }
        if let headers = Checker.pick(e.responseHeadersLike, index) {
            failures += checkHeaders(headers.stringValue, response, like: true, tag: tag)
        }
        return failures
    }

    /// Test::Nginx replaces `$ServerPort` and `$ServerPortForClient` in expected bodies.
    func withPort(_ text: String) -> String {
        guard text.contains("$ServerPort") else { return text }
        return text.replacingOccurrences(of: #"\$ServerPort(ForClient)?\b"#, with: String(expectations.serverPort),
                                         options: .regularExpression)
    }

    func describe(_ pattern: PerlValue) -> String {
        if case .regex(let source, let flags) = pattern { return "qr/\(source)/\(flags)" }
        return "/\(pattern.stringValue)/"
    }

    /// Perl `like`: a `qr//` keeps its flags, a plain pattern gets Test::Nginx's `/s`.
    func matches(_ pattern: PerlValue, _ text: String) -> Bool {
        let (source, flags): (String, String)
        if case .regex(let s, let f) = pattern { (source, flags) = (s, f) } else { (source, flags) = (pattern.stringValue, "s") }
        let patched = withPort(source)
        guard let re = try? LogPattern.compile(patched, flags: flags) else { return false }
        return re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    func checkHeaders(_ spec: String, _ response: HTTPResponse, like: Bool, tag: String) -> [String] {
        var failures: [String] = []
        let section = like ? "response_headers_like" : "response_headers"
        for raw in spec.components(separatedBy: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("!") {
                let name = line.dropFirst().trimmingCharacters(in: .whitespaces)
                if let got = response.header(name) {
                    failures.append("\(section)\(tag): header \(name) should be absent, got \(Diagnostics.show(got))")
                }
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let want = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            let values = response.values(of: name)
            let got = values.isEmpty ? nil : values.joined(separator: ", ")
            if like {
                // Test::Nginx compares with qr/^$val$/: the whole value must match.
                if !matches(.regex(source: "^" + want + "$", flags: ""), got ?? "") {
                    failures.append("\(section)\(tag): \(name) expected to match /\(want)/, got \(got.map { Diagnostics.show($0) } ?? "(absent)")")
                }
            } else if (got ?? "") != want {
                failures.append("\(section)\(tag): \(name) expected \(Diagnostics.show(want)), got \(got.map { Diagnostics.show($0) } ?? "(absent)")")
            }
        }
        return failures
    }

    /// Checks the error-log lines this test wrote.
    public func checkLog(_ lines: [String]) -> [String] {
        let e = expectations
        var failures: [String] = []
        for pattern in e.errorLog where !lines.contains(where: pattern.matches) {
            failures.append("error_log: pattern \(pattern) not found in the \(lines.count) lines this test logged")
        }
        for pattern in e.noErrorLog {
            if let hit = lines.first(where: pattern.matches) {
                failures.append("no_error_log: pattern \(pattern) found in line:\n\(hit)")
            }
        }
        if let out = e.grepErrorLogOut, !e.grepErrorLog.isEmpty {
            let got = lines.flatMap { line in e.grepErrorLog.flatMap { $0.grep(line) } }.map { $0 + "\n" }.joined()
            if case .regex(let source, let flags) = out {
                if !matches(.regex(source: source, flags: flags), got) {
                    failures.append("grep_error_log_out: qr/\(source)/ does not match \(Diagnostics.show(got, full: fullStrings))")
                }
            } else if got != out.stringValue {
                var lines = ["grep_error_log_out mismatch"]
                lines += Diagnostics.diff(expected: out.stringValue, got: got)
                failures.append(lines.joined(separator: "\n"))
            }
        }
        return failures
    }
}
