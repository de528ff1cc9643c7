import MoongateCore
#if canImport(Glibc)
import Glibc
#endif

/// nginx's location search (`ngx_http_core_find_location`): exact match, longest prefix
/// (descending into its nested locations), `^~` stops the regex search, then regexes in
/// configuration order.
public enum LocationMatcher {
    /// The outcome: the location, and the regex match whose captures the request keeps.
    public struct Found {
        public var location: LocationConfig?
        public var regex: Regex?
        public var ranges: [Range<Int>?]
    }

    /// Searches the locations under `root` (a server's level) for `uri`.
    public static func find(in root: LocationConfig, uri: String) -> Found {
        let (found, _) = search(root, uri)
        return found
    }

    private static func search(_ parent: LocationConfig, _ uri: String) -> (Found, Bool) {
        // An ASCII URI under ASCII locations (nearly always) is matched on bytes, without
        // the Strings' Unicode comparisons nor copies of each location's match.
        if parent.childTable == nil { _ = LocationTable.make(parent) }
        // The table is used in place (no retain and release): `parent` keeps it, and
        // nothing changes a level's locations while a request searches them.
        return Unmanaged.passUnretained(parent.childTable!)._withUnsafeGuaranteedRef { search(parent, uri, $0) }
    }

    private static func search(_ parent: LocationConfig, _ uri: String, _ table: LocationTable) -> (Found, Bool) {
        guard table.ascii else { return searchStrings(parent, uri) }
        var u = uri
        let r = u.withUTF8 { LogBytes.isASCII(UnsafeRawBufferPointer($0)) ? table.prefixSearch($0) : nil }
        guard let r else { return searchStrings(parent, uri) }
        if r.exact { return (Found(location: parent.children[r.index], regex: nil, ranges: []), true) }
        var current = Found(location: nil, regex: nil, ranges: [])
        var noRegex = false
        if r.index >= 0 {
            let b = parent.children[r.index]
            current.location = b
            noRegex = table.entries[r.index].kind == 2
            if !b.children.isEmpty {
                let (nested, final) = search(b, uri)
                if final { return (nested, true) }
                if let n = nested.location {
                    current = nested
                    if case .prefixNoRegex = n.match { noRegex = true } else { noRegex = false }
                }
            }
        }
        if noRegex || !table.hasRegex { return (current, false) }
        for c in parent.children {
            if case .regex(let re, _) = c.match, let m = re.match(uri) {
                return (Found(location: c, regex: re, ranges: m), true)
            }
        }
        return (current, false)
    }

    private static func searchStrings(_ parent: LocationConfig, _ uri: String) -> (Found, Bool) {
        var best: LocationConfig? = nil
        var bestLen = -1
        for c in parent.children {
            switch c.match {
            case .exact(let s):
                if s == uri { return (Found(location: c, regex: nil, ranges: []), true) }
            case .prefix(let s), .prefixNoRegex(let s):
                if s.utf8.count > bestLen && uri.hasPrefix(s) {
                    best = c
                    bestLen = s.utf8.count
                }
            default: break
            }
        }
        var current = Found(location: best, regex: nil, ranges: [])
        if let b = best, !b.children.isEmpty {
            let (nested, final) = search(b, uri)
            if final { return (nested, true) }
            if nested.location != nil { current = nested }
        }
        if let c = current.location, case .prefixNoRegex = c.match {
            return (current, false)
        }
        for c in parent.children {
            if case .regex(let re, _) = c.match, let m = re.match(uri) {
                return (Found(location: c, regex: re, ranges: m), true)
            }
        }
        return (current, false)
    }
}

/// A level's locations as bytes: for each child its kind and where its string is in
/// `bytes` (plain values: the search retains nothing but the location it returns).
final class LocationTable {
    struct Entry {
        /// 0 exact, 1 prefix, 2 prefix without regex (^~), 3 regex, 4 other.
        var kind: UInt8
        var start: Int32
        var length: Int32
    }
    let entries: [Entry]
    let bytes: [UInt8]
    /// Every exact and prefix string is ASCII (else the String search runs).
    let ascii: Bool
    let hasRegex: Bool

    private init(entries: [Entry], bytes: [UInt8], ascii: Bool, hasRegex: Bool) {
        self.entries = entries
        self.bytes = bytes
        self.ascii = ascii
        self.hasRegex = hasRegex
    }

    static func make(_ parent: LocationConfig) -> LocationTable {
        var entries: [Entry] = []
        var bytes: [UInt8] = []
        var ascii = true
        var hasRegex = false
        for c in parent.children {
            var kind: UInt8 = 4
            var s = ""
            switch c.match {
            case .exact(let x): kind = 0; s = x
            case .prefix(let x): kind = 1; s = x
            case .prefixNoRegex(let x): kind = 2; s = x
            case .regex: kind = 3; hasRegex = true
            default: break
            }
            if !s.utf8.allSatisfy({ $0 < 0x80 }) { ascii = false }
            entries.append(Entry(kind: kind, start: Int32(bytes.count), length: Int32(s.utf8.count)))
            bytes.append(contentsOf: s.utf8)
        }
        let t = LocationTable(entries: entries, bytes: bytes, ascii: ascii, hasRegex: hasRegex)
        parent.childTable = t
        return t
    }

    /// The exact match (index, true) or the longest prefix (index or -1, false) for an
    /// ASCII `uri`, as the String search finds them.
    func prefixSearch(_ uri: UnsafeBufferPointer<UInt8>) -> (index: Int, exact: Bool) {
        var best = -1
        var bestLen = -1
        return entries.withUnsafeBufferPointer { es in
            bytes.withUnsafeBufferPointer { b in
                for i in 0..<es.count {
                    let e = es[i]
                    let n = Int(e.length)
                    switch e.kind {
                    case 0:
                        if n == uri.count && (n == 0 || memcmp(b.baseAddress! + Int(e.start), uri.baseAddress!, n) == 0) {
                            return (i, true)
                        }
                    case 1, 2:
                        if n > bestLen && n <= uri.count
                            && (n == 0 || memcmp(b.baseAddress! + Int(e.start), uri.baseAddress!, n) == 0)
                        {
                            best = i
                            bestLen = n
                        }
                    default: break
                    }
                }
                return (best, false)
            }
        }
    }
}
