import Foundation

/// What a block expects, resolved from its sections once before it runs.
public struct Expectations: Sendable {
    /// `--- error_code` (a number, or an array per request); nil means 200.
    public var errorCode: PerlValue?
    /// `--- response_body` (exact).
    public var responseBody: PerlValue?
    /// `--- response_body_like` (regex source or `qr//`).
    public var responseBodyLike: PerlValue?
    /// `--- response_body_unlike`.
    public var responseBodyUnlike: PerlValue?
    /// `--- response_headers` lines: `Name: value`, or `!Name` for absent.
    public var responseHeaders: PerlValue?
    /// `--- response_headers_like` lines: `Name: regex`.
    public var responseHeadersLike: PerlValue?
    /// `--- error_log`.
    public var errorLog: [LogPattern] = []
    /// `--- no_error_log`.
    public var noErrorLog: [LogPattern] = []
    /// `--- grep_error_log` and `--- grep_error_log_out`.
    public var grepErrorLog: [LogPattern] = []
    /// The expected `grep_error_log` output.
    public var grepErrorLogOut: PerlValue?
    /// `--- ignore_response`: skip every response check.
    public var ignoreResponse = false
    /// `--- abort`: a client timeout is expected, not a failure.
    public var abort = false
    /// The server port, substituted for `$ServerPort` in body patterns.
    public var serverPort = 0

    /// Creates empty expectations.
    public init() {}

    /// Resolves the expectation sections of a block.
    public init(block: SpecBlock, resolver: SectionResolver, port: Int) throws {
        func v(_ name: String) throws -> PerlValue? {
            guard let s = block.section(name) else { return nil }
            return try resolver.value(s)
        }
        errorCode = try v("error_code")
        responseBody = try v("response_body")
        responseBodyLike = try v("response_body_like")
        responseBodyUnlike = try v("response_body_unlike")
        responseHeaders = try v("response_headers")
        responseHeadersLike = try v("response_headers_like")
        for (name, keyPath) in [("error_log", \Expectations.errorLog), ("no_error_log", \.noErrorLog),
                                ("grep_error_log", \.grepErrorLog)] {
            if let s = block.section(name) {
                let value = try resolver.value(s)
                self[keyPath: keyPath] = LogPattern.list(from: value, splitLines: !s.isEval)
            }
        }
        if let s = block.section("grep_error_log"), !s.isEval {
            grepErrorLog = [.substring(try resolver.value(s).stringValue.trimmingCharacters(in: .newlines))]
        }
        grepErrorLogOut = try v("grep_error_log_out")
        ignoreResponse = block.has("ignore_response")
        abort = block.has("abort")
        serverPort = port
    }
}
