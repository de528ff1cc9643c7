import Foundation

/// Splits a raw byte stream into HTTP responses: status line, headers, then a body
/// framed by `Transfer-Encoding: chunked`, `Content-Length`, or the end of the stream.
public enum ResponseParser {
    /// Parses consecutive responses (pipelining); `methods[i]` tells whether response
    /// `i` answers a HEAD request (no body). The last response takes the rest.
    public static func parseAll(_ data: [UInt8], methods: [String] = []) -> [HTTPResponse] {
        var responses: [HTTPResponse] = []
        var offset = 0
        repeat {
            let method = responses.count < methods.count ? methods[responses.count] : "GET"
            let (response, next) = parse(data, from: offset, method: method)
            responses.append(response)
            if next <= offset { break }
            offset = next
        } while offset < data.count && responses.count < max(methods.count, 1)
        return responses
    }

    /// Parses one response starting at `offset`; returns it and the offset after it.
    public static func parse(_ data: [UInt8], from offset: Int = 0, method: String = "GET") -> (HTTPResponse, Int) {
        let prefix = Array(data[offset..<min(data.count, offset + 5)])
        guard prefix == Array("HTTP/".utf8) else {
            return (HTTPResponse(status: nil, body: Array(data[offset...])), data.count)
        }
        guard let headerEnd = find(Array("\r\n\r\n".utf8), in: data, from: offset) else {
            let text = String(decoding: data[offset...], as: UTF8.self)
            var r = HTTPResponse(status: nil, statusLine: text.components(separatedBy: "\r\n").first ?? "")
            r.status = statusCode(r.statusLine)
            r.truncated = true
            r.parseError = "incomplete response header"
            return (r, data.count)
        }
        let head = String(decoding: data[offset..<headerEnd], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        var response = HTTPResponse(status: statusCode(statusLine), statusLine: statusLine)
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            response.headers.append((String(line[..<colon]), value))
        }
        var pos = headerEnd + 4
        let status = response.status ?? 0
        if method == "HEAD" || status == 204 || status == 304 || (100..<200).contains(status) {
            return (response, pos)
        }
        if response.header("Transfer-Encoding")?.lowercased().contains("chunked") == true {
            pos = dechunk(data, from: pos, into: &response)
            return (response, pos)
        }
        if let lengthText = response.header("Content-Length"), let length = Int(lengthText) {
            let end = min(data.count, pos + length)
            response.body = Array(data[pos..<end])
            response.truncated = end - pos < length
            return (response, end)
        }
        response.body = Array(data[pos...])
        return (response, data.count)
    }

    static func dechunk(_ data: [UInt8], from start: Int, into response: inout HTTPResponse) -> Int {
        var pos = start
        while true {
            guard let lineEnd = find(Array("\r\n".utf8), in: data, from: pos) else {
                response.truncated = true
                return data.count
            }
            let sizeText = String(decoding: data[pos..<lineEnd], as: UTF8.self)
                .split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard let size = Int(sizeText, radix: 16) else {
                response.parseError = "bad chunk size '\(sizeText)'"
                return data.count
            }
            pos = lineEnd + 2
            if size == 0 {
                // Skip trailers up to the blank line.
                if let end = find(Array("\r\n".utf8), in: data, from: pos) {
                    var p = pos
                    var e = end
                    while e > p {
                        p = e + 2
                        guard let n = find(Array("\r\n".utf8), in: data, from: p) else { return data.count }
                        e = n
                    }
                    return e + 2
                }
                return data.count
            }
            guard pos + size <= data.count else {
                response.body += data[pos...]
                response.truncated = true
                return data.count
            }
            response.body += data[pos..<(pos + size)]
            pos += size
            if pos + 2 <= data.count, data[pos] == 13, data[pos + 1] == 10 { pos += 2 }
        }
    }

    static func statusCode(_ line: String) -> Int? {
        let parts = line.split(separator: " ")
        return parts.count >= 2 ? Int(parts[1]) : nil
    }

    static func find(_ needle: [UInt8], in data: [UInt8], from start: Int) -> Int? {
        guard needle.count <= data.count else { return nil }
        var i = start
        while i + needle.count <= data.count {
            if data[i] == needle[0], Array(data[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }
}
