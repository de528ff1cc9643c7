import Foundation

/// One connection's worth of bytes to send, and the requests' methods (to know which
/// responses have no body).
public struct PlannedExchange: Equatable, Sendable {
    /// The bytes to send.
    public var bytes: [UInt8]
    /// The method of each request on the connection, in order.
    public var methods: [String]
    /// Where the pieces of a `--- raw_request` array end, when there are several.
    public var pieceEnds: [Int] = []
    /// Seconds between pieces (`--- raw_request_middle_delay`).
    public var pieceDelay: Double = 0
}

/// Builds request bytes the way Test::Nginx does from `--- request`,
/// `--- more_headers`, `--- pipelined_requests` and `--- raw_request`.
public enum RequestBuilder {
    /// Builds one HTTP request from a `METHOD /uri [HTTP/x.y]` line plus optional body.
    public static func build(_ request: String, moreHeaders: String = "", body override: String? = nil,
                             keepAlive: Bool = false) -> PlannedExchange {
        let scalars = request.unicodeScalars
        let firstLineEnd = scalars.firstIndex(of: "\n") ?? scalars.endIndex
        var firstLine = String(scalars[..<firstLineEnd])
        if firstLine.unicodeScalars.last == "\r" { firstLine.unicodeScalars.removeLast() }
        var body = firstLineEnd < scalars.endIndex ? String(scalars[scalars.index(after: firstLineEnd)...]) : ""
        if let override { body = override }
        let parts = firstLine.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let method = parts.first ?? "GET"
        let uri = parts.count > 1 ? parts[1] : "/"
        let version = parts.count > 2 ? parts[2] : "HTTP/1.1"
        if version == "HTTP/0.9" {
            return PlannedExchange(bytes: Array("\(method) \(uri)\r\n".utf8), methods: [method])
        }
        var headerLines: [(String, String)] = []
        for line in moreHeaders.components(separatedBy: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, let colon = trimmed.firstIndex(of: ":") else { continue }
            headerLines.append((String(trimmed[..<colon]).trimmingCharacters(in: .whitespaces),
                                trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        func has(_ name: String) -> Bool { headerLines.contains { $0.0.caseInsensitiveCompare(name) == .orderedSame } }
        var head = "\(method) \(uri) \(version)\r\n"
        if !has("Host") { head += "Host: localhost\r\n" }
        if !has("Connection") { head += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n" }
        for (name, value) in headerLines { head += "\(name): \(value)\r\n" }
        let bodyBytes = Array(body.utf8)
        if !has("Content-Length"), !has("Transfer-Encoding"),
           !bodyBytes.isEmpty || ["POST", "PUT", "PATCH"].contains(method) {
            head += "Content-Length: \(bodyBytes.count)\r\n"
        }
        head += "\r\n"
        return PlannedExchange(bytes: Array(head.utf8) + bodyBytes, methods: [method])
    }

    /// Builds several requests sent back to back on one keep-alive connection; the
    /// last one asks the server to close.
    public static func pipelined(_ requests: [String], moreHeaders: String = "") -> PlannedExchange {
        var out = PlannedExchange(bytes: [], methods: [])
        for (i, r) in requests.enumerated() {
            let one = build(r, moreHeaders: moreHeaders, keepAlive: i < requests.count - 1)
            out.bytes += one.bytes
            out.methods += one.methods
        }
        return out
    }

    /// Wraps raw bytes; the method is read from the first word for HEAD detection.
    public static func raw(_ text: String) -> PlannedExchange {
        let method = text.split(separator: " ", maxSplits: 1).first.map(String.init) ?? "GET"
        return PlannedExchange(bytes: Array(text.utf8), methods: [method])
    }

    /// A `--- raw_request` array: the strings are pieces of one connection's bytes,
    /// sent one after another with `delay` seconds between them, as Test::Nginx does.
    public static func raw(pieces: [String], delay: Double) -> PlannedExchange {
        var out = raw(pieces.joined())
        guard pieces.count > 1 else { return out }
        var end = 0
        out.pieceEnds = pieces.map { p in
            end += p.utf8.count
            return end
        }
        out.pieceDelay = delay
        return out
    }
}
