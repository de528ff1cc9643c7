import MoongateCore
/// A parsed request line and header block, independent of any HTTP library.
public struct RequestHead {
    /// `GET`, `POST`, ... as sent.
    public var method: String
    /// The request target as sent (`/a%20b?x=1`), nginx's `$request_uri`.
    public var rawURI: String
    /// 10 for HTTP/1.0, 11 for HTTP/1.1.
    public var version: Int
    /// Header fields in order, names as sent.
    public var headers: [(name: String, value: String)]
    /// Bytes of the request line and headers, as received (for `ngx.req.raw_header`).
    public var rawHeader: [UInt8]
    /// Length of the request line without CRLF (`$request`).
    public var requestLineLength: Int
    /// Parsed `Content-Length`, if any.
    public var contentLength: Int64?
    /// `Transfer-Encoding: chunked`.
    public var chunked: Bool
    /// Host from the absolute URI or the Host header (lowercased, port stripped).
    public var host: String?
    /// Whether the client asked to keep the connection.
    public var keepAliveRequested: Bool
    /// Header lines dropped by `ignore_invalid_headers` (logged at info).
    public var ignoredHeaderLines: [String] = []
    /// `Expect: 100-continue` was sent.
    public var expectContinue: Bool

    /// The first value of a header, case-insensitively.
    public func header(_ name: String) -> String? {
        // No lowercased() copy of the name: both sides compared ignoring ASCII case.
        let n = name.utf8.count
        for h in headers where h.name.utf8.count == n && asciiEqualsIgnoringCase(h.name, name) {
            return h.value
        }
        return nil
    }

    /// The request line as sent, `$request`.
    public var requestLine: String {
        String(decoding: rawHeader.prefix(requestLineLength), as: UTF8.self)
    }

    /// The Host header for the error log (`host: "..."`), bytes as the client sent them.
    public var hostForLog: String? {
        guard let h = header("host") else { return nil }
        // Only a value that was not valid UTF-8 needs the raw bytes looked up.
        guard h.unicodeScalars.contains("\u{FFFD}") else { return h }
        var i = requestLineLength
        let b = rawHeader
        while i < b.count {
            var e = i
            while e < b.count && b[e] != 10 { e += 1 }
            var stop = e
            if stop > i && b[stop - 1] == 13 { stop -= 1 }
            if stop - i > 5 && b[i..<(i + 5)].map({ $0 | 0x20 }).elementsEqual(Array("host:".utf8)) {
                var vs = i + 5
                while vs < stop && (b[vs] == 32 || b[vs] == 9) { vs += 1 }
                var ve = stop
                while ve > vs && (b[ve - 1] == 32 || b[ve - 1] == 9) { ve -= 1 }
                return LogBytes.string(b[vs..<ve])
            }
            i = e + 1
        }
        return h
    }

    /// The request line for the error log, bytes as the client sent them (`LogBytes`).
    public var requestLineForLog: String {
        LogBytes.string(rawHeader.prefix(requestLineLength))
    }

    /// `HTTP/1.1`.
    public var protocolString: String { version == 10 ? "HTTP/1.0" : version == 9 ? "" : "HTTP/1.1" }
}

/// Why a request head was refused, with the status nginx answers and its log message.
public struct RequestParseError: Error {
    /// 400, 414, 494 (sent as 400), 501, 505 ...
    public var status: Int
    /// nginx's `[info]` message, e.g. `client sent invalid request`.
    public var message: String
    /// Set when the request line was parsed (for logging `request: "..."`), with the
    /// client's bytes kept as `LogBytes` carries them.
    public var requestLine: String?
    /// Where parsing failed, for nginx's `while reading client request line|headers`.
    public var stage: Stage = .requestLine
    /// The raw Host header value when one was read (logged as `host: "..."`).
    public var host: String?

    /// The part of the head being read when the error happened.
    public enum Stage: Sendable {
        case requestLine, headers
    }

    public init(_ status: Int, _ message: String, requestLine: String? = nil) {
        self.status = status
        self.message = message
        self.requestLine = requestLine
    }
}

/// Limits from `client_header_buffer_size` / `large_client_header_buffers`.
public struct HeaderLimits {
    public var bufferSize: Int
    public var largeBufferSize: Int
    public var largeBufferCount: Int
    public var ignoreInvalidHeaders: Bool
    public var underscoresInHeaders: Bool

    public init(
        bufferSize: Int = 1024, largeBufferSize: Int = 8192, largeBufferCount: Int = 4,
        ignoreInvalidHeaders: Bool = true, underscoresInHeaders: Bool = false
    ) {
        self.bufferSize = bufferSize
        self.largeBufferSize = largeBufferSize
        self.largeBufferCount = largeBufferCount
        self.ignoreInvalidHeaders = ignoreInvalidHeaders
        self.underscoresInHeaders = underscoresInHeaders
    }
}
