import MoongateCore

/// nginx's charset filter header part (`ngx_http_charset_header_filter`) for a main
/// request, without recoding: it decides the charset written after the Content-Type.
extension HTTPRequest {
    func charsetHeaderFilter() {
        guard let cs = loc.charset, let ct = headersOut.contentType, !ct.isEmpty else { return }
        guard let name = cs.charset else { return }
        let dst: String
        switch name {
        case .off: return
        case .literal(let n): dst = n
        case .variable(let v): dst = v.evaluate(self)
        }
        if contentTypeCharset != nil {
            if !(cs.override ?? false) { return }
        } else if !cs.matchesType(ct) {
            return
        }
        let dstKnown = CharsetConf.known.contains(dst.lowercased())
        // The source: the upstream's charset, else `source_charset`.
        let src: String
        let srcKnown: Bool
        if let up = contentTypeCharset {
            src = up
            srcKnown = CharsetConf.known.contains(up.lowercased())
        } else {
            switch cs.source ?? .off {
            case .off:
                setCharset(dst)
                return
            case .literal(let n): src = n
            case .variable(let v): src = v.evaluate(self)
            }
            srcKnown = CharsetConf.known.contains(src.lowercased())
        }
        let same = dst.lowercased() == src.lowercased()
        if !dstKnown || !srcKnown {
            // nginx compares indexes (both "unknown") and then the names.
            if dstKnown == srcKnown && same {
                setCharset(dst)
                return
            }
        } else if same {
            // The upstream's own `; charset=` is replaced by ours.
            if let semi = ct.firstIndex(of: ";") { headersOut.contentType = String(ct[..<semi]) }
            setCharset(dst)
            return
        } else if let ce = headersOut.list.first(where: { $0.name.lowercased() == "content-encoding" }),
            !ce.value.isEmpty
        {
            return
        }
        log(.error, "no \"charset_map\" between the charsets \"\(src)\" and \"\(dst)\"")
    }

    /// nginx's `ngx_http_set_charset`: not on 301/302 redirects.
    private func setCharset(_ name: String) {
        if status == 301 || status == 302 {
            responseCharset = nil
            return
        }
        responseCharset = name
    }
}
