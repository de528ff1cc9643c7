import Foundation

/// One HTTP response parsed from raw bytes.
public struct HTTPResponse: Equatable, Sendable {
    /// The status code, or nil when no status line was found (e.g. HTTP/0.9).
    public var status: Int?
    /// The status line without CRLF.
    public var statusLine: String
    /// Header fields in order, names as sent.
    public var headers: [(name: String, value: String)]
    /// The body, de-chunked when the response was chunked.
    public var body: [UInt8]
    /// True when the body ended before its declared length or last chunk.
    public var truncated: Bool
    /// A problem found while parsing (bad chunk size, ...), if any.
    public var parseError: String?

    /// Creates a response.
    public init(status: Int?, statusLine: String = "", headers: [(name: String, value: String)] = [],
                body: [UInt8] = [], truncated: Bool = false, parseError: String? = nil) {
        self.status = status
        self.statusLine = statusLine
        self.headers = headers
        self.body = body
        self.truncated = truncated
        self.parseError = parseError
    }

    /// The body decoded as UTF-8 (invalid bytes replaced).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// All values of a header, case-insensitively.
    public func values(of name: String) -> [String] {
        headers.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
    }

    /// The first value of a header, case-insensitively.
    public func header(_ name: String) -> String? { values(of: name).first }

    /// Compares everything; header order matters.
    public static func == (a: HTTPResponse, b: HTTPResponse) -> Bool {
        a.status == b.status && a.statusLine == b.statusLine && a.body == b.body && a.truncated == b.truncated
            && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
            && a.parseError == b.parseError
    }
}
