import MoongateCore

/// nginx's `ngx_http_not_modified_filter_module` for static files: `If-Unmodified-Since`
/// and `If-Match` give 412, `If-Modified-Since` and `If-None-Match` give 304.
enum NotModified {
    enum Outcome { case send, notModified, preconditionFailed }

    static func check(_ r: HTTPRequest, mtime: Int, etag: String) -> Outcome {
        if let ius = r.header("if-unmodified-since") {
            if let t = CachedTime.parseHTTPTime(ius), t < mtime { return .preconditionFailed }
            if CachedTime.parseHTTPTime(ius) == nil { return .preconditionFailed }
        }
        if let im = r.header("if-match"), !matches(im, etag: etag, weak: false) {
            return .preconditionFailed
        }
        let ims = r.header("if-modified-since")
        let inm = r.header("if-none-match")
        if ims == nil && inm == nil { return .send }
        if let ims, modified(r, ims, mtime: mtime) { return .send }
        if let inm, !matches(inm, etag: etag, weak: true) { return .send }
        return .notModified
    }

    /// `ngx_http_test_if_modified`: true when the file counts as modified.
    private static func modified(_ r: HTTPRequest, _ value: String, mtime: Int) -> Bool {
        let mode = r.loc.ifModifiedSince ?? "exact"
        if mode == "off" { return true }
        guard let t = CachedTime.parseHTTPTime(value) else { return true }
        if t == mtime { return false }
        if mode == "before" && t >= mtime { return false }
        return true
    }

    /// `ngx_http_test_if_match`: `*` or a comma-separated list of entity tags.
    private static func matches(_ header: String, etag: String, weak: Bool) -> Bool {
        let v = header.trimmingCharacters(in: " \t")
        if v == "*" { return true }
        let mine = weak && etag.hasPrefix("W/") ? String(etag.dropFirst(2)) : etag
        for part in v.split(separator: ",") {
            var tag = part.trimmingCharacters(in: " \t")
            if weak && tag.hasPrefix("W/") { tag = String(tag.dropFirst(2)) }
            if tag == mine { return true }
        }
        return false
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        String(self).trimmingCharacters(in: set)
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
