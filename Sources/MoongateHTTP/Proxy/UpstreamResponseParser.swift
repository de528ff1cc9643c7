import NIOCore

/// A parsed upstream status line and header (nginx's `ngx_http_proxy_process_status_line`
/// and `process_header`).
struct UpstreamResponseHead {
    var version = 10
    var status = 0
    var headers: [(name: String, value: String)] = []
    var contentLength: Int64?
    var chunked = false
    var connectionClose = false
    var connectionKeepAlive = false

    func header(_ name: String) -> String? {
        let l = name.lowercased()
        return headers.first { $0.name.lowercased() == l }?.value
    }
}

/// Why a head could not be parsed.
enum UpstreamParseError: Error {
    /// nginx: `upstream sent invalid header` / `upstream sent no valid HTTP/1.0 header`.
    case invalid(String)
}

/// Accumulates bytes until the whole head arrived, then parses it.
struct UpstreamResponseParser {
    private var pending: [UInt8] = []
    /// nginx's `proxy_buffer_size` bound on the head.
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Feeds bytes; returns the head and the bytes after it once complete.
    mutating func feed(_ buf: inout ByteBuffer) throws -> (UpstreamResponseHead, [UInt8])? {
        pending.append(contentsOf: buf.readableBytesView)
        buf.moveReaderIndex(to: buf.writerIndex)
        guard let end = headEnd() else {
            if pending.count >= limit {
                throw UpstreamParseError.invalid("upstream sent too big header")
            }
            if pending.count >= 5 && !pending.starts(with: Array("HTTP/".utf8)) {
                throw UpstreamParseError.invalid("upstream sent no valid HTTP/1.0 header")
            }
            return nil
        }
        if end > limit {
            throw UpstreamParseError.invalid("upstream sent too big header")
        }
        let head = try parse(Array(pending[0..<end]))
        return (head, Array(pending[end...]))
    }

    private func headEnd() -> Int? {
        let n = pending.count
        var i = 0
        while i + 1 < n {
            if pending[i] == 10 {
                if pending[i + 1] == 10 { return i + 2 }
                if pending[i + 1] == 13 && i + 2 < n && pending[i + 2] == 10 { return i + 3 }
            }
            i += 1
        }
        return nil
    }

    private func parse(_ bytes: [UInt8]) throws -> UpstreamResponseHead {
        // Split on LF bytes: "\r\n" is one Character in Swift strings.
        var lines: [Substring] = []
        var start = 0
        for (i, b) in bytes.enumerated() where b == 10 {
            var end = i
            if end > start && bytes[end - 1] == 13 { end -= 1 }
            lines.append(Substring(String(decoding: bytes[start..<end], as: UTF8.self)))
            start = i + 1
        }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        guard let statusLine = lines.first else {
            throw UpstreamParseError.invalid("upstream sent no valid HTTP/1.0 header")
        }
        var head = UpstreamResponseHead()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1]), parts[1].count == 3,
            code >= 100
        else {
            throw UpstreamParseError.invalid("upstream sent no valid HTTP/1.0 header")
        }
        head.version = parts[0] == "HTTP/1.0" ? 10 : 11
        head.status = code
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else {
                throw UpstreamParseError.invalid("upstream sent invalid header")
            }
            let name = String(line[..<colon])
            if name.isEmpty || name.contains(" ") {
                throw UpstreamParseError.invalid("upstream sent invalid header")
            }
            let value = String(line[line.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" }))
            let l = name.lowercased()
            if l == "content-length" {
                guard let n = Int64(value.trimmingSpaces), n >= 0 else {
                    throw UpstreamParseError.invalid("upstream sent invalid \"Content-Length\" header")
                }
                head.contentLength = n
            } else if l == "transfer-encoding" {
                if value.lowercased().contains("chunked") { head.chunked = true }
            } else if l == "connection" {
                let v = value.lowercased()
                if v.contains("close") { head.connectionClose = true }
                if v.contains("keep-alive") { head.connectionKeepAlive = true }
            }
            head.headers.append((name, value))
        }
        if head.chunked { head.contentLength = nil }
        return head
    }
}

extension String {
    var trimmingSpaces: String {
        String(self.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
