import MoongateCore
/// nginx's `ngx_http_parse_complex_uri`: splits off the arguments, decodes `%XX`,
/// merges slashes and resolves `.` and `..` segments. Nil means 400 Bad Request.
public enum URINormalizer {
    /// Returns the decoded path and the raw argument string (after `?`), or nil.
    public static func split(_ raw: String, mergeSlashes: Bool = true) -> (path: String, args: String?)? {
        if let quick = splitSimple(raw) { return quick }
        // A fragment ends both the path and the args (nginx's complex URI parser).
        let raw = raw.firstIndex(of: "#").map { String(raw[..<$0]) } ?? raw
        var pathPart = Substring(raw)
        var args: String? = nil
        if let q = raw.firstIndex(of: "?") {
            pathPart = raw[..<q]
            args = String(raw[raw.index(after: q)...])
        }
        guard let p = normalize(pathPart, mergeSlashes: mergeSlashes) else { return nil }
        return (p, args)
    }

    /// The common case without a byte scan per Character: no `#`, `%`, NUL, `//` or `/.`
    /// in the path, so normalizing leaves it as it is. Nil means "take the full path".
    static func splitSimple(_ raw: String) -> (path: String, args: String?)? {
        // On the contiguous bytes: the UTF8View's index walk costs ~40 instructions a byte.
        var r = raw
        let q: Int? = r.withUTF8 { b -> Int?? in
            let n = b.count
            guard n > 0, b[0] == UInt8(ascii: "/") else { return .some(nil) }
            var prev: UInt8 = 0
            var i = 0
            while i < n {
                let c = b[i]
                if c == UInt8(ascii: "?") { break }
                if c == UInt8(ascii: "#") || c == UInt8(ascii: "%") || c == 0 { return .some(nil) }
                if prev == UInt8(ascii: "/") && (c == UInt8(ascii: "/") || c == UInt8(ascii: ".")) { return .some(nil) }
                prev = c
                i += 1
            }
            if i == n { return .none }
            // Args run to the end unless a fragment cuts them.
            var k = i + 1
            while k < n {
                if b[k] == UInt8(ascii: "#") { return .some(nil) }
                k += 1
            }
            return .some(i)
        } ?? -1
        // -1: no `?`; nil: not simple.
        guard let q else { return nil }
        if q < 0 { return (raw, nil) }
        let u = raw.utf8
        let at = u.index(u.startIndex, offsetBy: q)
        return (String(raw[..<at]), String(raw[u.index(after: at)...]))
    }

    /// What `splitSimple` gives for a URI the request parser found simple, with its "?"
    /// at `query` (-1: none), without its scan.
    @inline(__always)
    static func splitKnown(_ raw: String, query q: Int) -> (path: String, args: String?)? {
        if q < 0 { return (raw, nil) }
        let u = raw.utf8
        let at = u.index(u.startIndex, offsetBy: q)
        return (String(raw[..<at]), String(raw[u.index(after: at)...]))
    }

    /// Decodes and normalizes a path.
    public static func normalize(_ s: Substring, mergeSlashes: Bool = true) -> String? {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(s.utf8.count)
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "%") {
                guard i + 2 < b.count, let h = hex(b[i + 1]), let l = hex(b[i + 2]) else { return nil }
                let v = UInt8(h * 16 + l)
                if v == 0 { return nil }
                decoded.append(v)
                i += 3
                continue
            }
            if c == 0 { return nil }
            decoded.append(c)
            i += 1
        }
        guard decoded.first == UInt8(ascii: "/") else {
            return decoded.isEmpty ? nil : decoded.withUnsafeBytes { LogBytes.text($0) }
        }
        // Segment processing.
        var out: [UInt8] = []
        out.reserveCapacity(decoded.count)
        var segs: [ArraySlice<UInt8>] = []
        var start = 1
        var j = 1
        while j <= decoded.count {
            if j == decoded.count || decoded[j] == UInt8(ascii: "/") {
                segs.append(decoded[start..<j])
                start = j + 1
            }
            j += 1
        }
        var stack: [ArraySlice<UInt8>] = []
        let trailingSlash = decoded.last == UInt8(ascii: "/")
        var endsWithDir = trailingSlash
        for (idx, seg) in segs.enumerated() {
            let isLast = idx == segs.count - 1
            if seg.isEmpty {
                if !mergeSlashes && !isLast { stack.append(seg) }
                continue
            }
            if seg.count == 1 && seg.first == UInt8(ascii: ".") {
                if isLast { endsWithDir = true }
                continue
            }
            if seg.count == 2 && seg.first == UInt8(ascii: ".") && seg.last == UInt8(ascii: ".") {
                if stack.isEmpty { return nil }
                stack.removeLast()
                if isLast { endsWithDir = true }
                continue
            }
            if isLast { endsWithDir = trailingSlash }
            stack.append(seg)
        }
        out.append(UInt8(ascii: "/"))
        for (k, seg) in stack.enumerated() {
            out.append(contentsOf: seg)
            if k < stack.count - 1 { out.append(UInt8(ascii: "/")) }
        }
        if endsWithDir && !stack.isEmpty { out.append(UInt8(ascii: "/")) }
        // %FF and other bytes that are not UTF-8 are carried, not replaced (nginx's $uri
        // keeps bytes).
        return out.withUnsafeBytes { LogBytes.text($0) }
    }

    static func hex(_ c: UInt8) -> Int? {
        switch c {
        case 48...57: return Int(c - 48)
        case 97...102: return Int(c - 87)
        case 65...70: return Int(c - 55)
        default: return nil
        }
    }
}
