import MoongateCore

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
