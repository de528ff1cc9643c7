import MoongateCore

/// nginx's range filter for static files: `Range: bytes=...` with one or several ranges,
/// `If-Range`, and the multipart/byteranges body for several.
enum RangeRequest {
    enum Outcome {
        /// Serve the whole file (no Range, a bad one, or If-Range mismatch).
        case whole
        /// Nothing satisfiable: 416.
        case unsatisfiable
        /// One or more byte ranges, in request order.
        case ranges([Range<Int64>])
    }

    /// The per-process boundary counter (`ngx_next_temp_number`).
    nonisolated(unsafe) static var boundaryCounter: UInt64 = 0

    static func evaluate(_ r: HTTPRequest, size: Int64, mtime: Int, etag: String) -> Outcome {
        guard let header = r.header("range") else { return .whole }
        if r.loc.maxRanges == 0 { return .whole }
        if let ifRange = r.header("if-range") {
            if ifRange.hasPrefix("\"") || ifRange.hasPrefix("W/") {
                if ifRange != etag { return .whole }
            } else if CachedTime.parseHTTPTime(ifRange) != mtime {
                return .whole
            }
        }
        let outcome = parse(header, size: size)
        // nginx's max_ranges: more ranges than allowed and the range filter steps aside.
        if case .ranges(let rs) = outcome, let m = r.loc.maxRanges, rs.count > m { return .whole }
        return outcome
    }

    /// `ngx_http_range_parse`: a syntax error after `bytes=` is 416; ranges past the end are
    /// dropped; none left is 416; ranges adding up to more than the file are ignored.
    static func parse(_ header: String, size: Int64) -> Outcome {
        guard header.count > 6, header.prefix(6).lowercased() == "bytes=" else { return .whole }
        var out: [Range<Int64>] = []
        var total: Int64 = 0
        for raw in header.dropFirst(6).split(separator: ",", omittingEmptySubsequences: false) {
            let spec = raw.trimmingCharacters()
            let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { return .unsatisfiable }
            let a = parts[0].trimmingCharacters()
            let b = parts[1].trimmingCharacters()
            guard a.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), b.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                return .unsatisfiable
            }
            var start: Int64
            var end: Int64
            if a.isEmpty {
                guard let n = Int64(b) else { return .unsatisfiable }
                if n == 0 { continue }
                start = max(0, size - n)
                end = size
            } else {
                guard let s = Int64(a) else { return .unsatisfiable }
                start = s
                if b.isEmpty {
                    end = size
                } else {
                    guard let e = Int64(b), e >= s else { return .unsatisfiable }
                    end = min(size, e + 1)
                }
            }
            if start >= size { continue }
            out.append(start..<end)
            total += end - start
        }
        if out.isEmpty { return .unsatisfiable }
        if total > size { return .whole }
        return .ranges(out)
    }

    /// The multipart parts: the header before each range's bytes, and the closing line.
    static func multipart(_ ranges: [Range<Int64>], size: Int64, contentType: String)
        -> (boundary: String, heads: [String], tail: String)
    {
        boundaryCounter += 1
        let digits = String(boundaryCounter)
        let boundary = String(repeating: "0", count: max(0, 20 - digits.count)) + digits
        let heads = ranges.map {
            "\r\n--\(boundary)\r\nContent-Type: \(contentType)\r\nContent-Range: bytes \($0.lowerBound)-\($0.upperBound - 1)/\(size)\r\n\r\n"
        }
        return (boundary, heads, "\r\n--\(boundary)--\r\n")
    }
}
