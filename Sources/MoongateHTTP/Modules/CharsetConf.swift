import MoongateConfig
import MoongateCore

/// Settings of the charset filter for one level (nginx's `ngx_http_charset_loc_conf_t`).
/// Moongate adds `; charset=NAME` as nginx does; it does not recode: `charset_map` is
/// refused, and so is a `source_charset` that differs from `charset`.
public final class CharsetConf {
    /// `charset`: nil unset, `.off`, or a name (possibly with variables).
    enum Name {
        case off
        case literal(String)
        case variable(ComplexValue)
    }

    var charset: Name?
    var charsetAt: SourceLocation?
    var source: Name?
    var sourceAt: SourceLocation?
    var override: Bool?
    /// Lowercased MIME types of `charset_types`; nil means nginx's default list.
    var types: Set<String>?
    var anyType = false

    static let defaultTypes: Set<String> = [
        "text/html", "text/xml", "text/plain", "text/vnd.wap.wml", "application/javascript",
        "application/rss+xml",
    ]

    /// Charset names the configuration mentions (nginx's `mcf->charsets`), lowercased.
    nonisolated(unsafe) static var known: Set<String> = []

    init() {}

    func merge(from p: CharsetConf) {
        if charset == nil {
            charset = p.charset
            charsetAt = p.charsetAt
        }
        if source == nil {
            source = p.source
            sourceAt = p.sourceAt
        }
        override = override ?? p.override
        if types == nil {
            types = p.types
            anyType = p.anyType
        }
    }

    func matchesType(_ contentType: String) -> Bool {
        if anyType { return true }
        var bare = Substring(contentType)
        if let semi = contentType.firstIndex(of: ";") { bare = contentType[..<semi] }
        return (types ?? CharsetConf.defaultTypes).contains(bare.lowercased())
    }

    /// The `charset=` parameter of a Content-Type, as nginx's proxy module reads it
    /// (`ngx_http_upstream_copy_content_type`), quotes removed.
    public static func charsetParameter(_ ct: String) -> String? {
        let b = Array(ct.utf8)
        var i = 0
        while i < b.count {
            if b[i] != UInt8(ascii: ";") {
                i += 1
                continue
            }
            i += 1
            while i < b.count && b[i] == UInt8(ascii: " ") { i += 1 }
            if i >= b.count { return nil }
            let key = Array("charset=".utf8)
            guard i + key.count <= b.count,
                b[i..<(i + key.count)].map({ $0 | 0x20 }).elementsEqual(key.map { $0 | 0x20 })
            else { continue }
            var start = i + key.count
            var end = b.count
            if start < end && b[start] == UInt8(ascii: "\"") { start += 1 }
            if end > start && b[end - 1] == UInt8(ascii: "\"") { end -= 1 }
            return String(decoding: b[start..<max(start, end)], as: UTF8.self)
        }
        return nil
    }

    static func get(_ l: LocationConfig) -> CharsetConf {
        if let c = l.charset { return c }
        let c = CharsetConf()
        l.charset = c
        return c
    }

    private static func parseName(_ d: ConfDirective) throws -> Name {
        let v = d.values[0]
        if v == "off" { return .off }
        if v.contains("$") {
            return .variable(try ComplexValue(v, at: d.location))
        }
        known.insert(v.lowercased())
        return .literal(v)
    }

    static func register() {
        let ctx: DirectiveContext = [.http, .server, .location, .locationIf]
        DirectiveRegistry.register(DirectiveSpec("charset", ctx, .exactly(1))) { d, c in
            let cs = get(c.loc!)
            if cs.charset != nil { throw ConfigError("\"charset\" directive is duplicate", at: d.location) }
            cs.charset = try parseName(d)
            cs.charsetAt = d.location
        }
        DirectiveRegistry.register(DirectiveSpec("source_charset", ctx, .exactly(1))) { d, c in
            let cs = get(c.loc!)
            if cs.source != nil { throw ConfigError("\"source_charset\" directive is duplicate", at: d.location) }
            cs.source = try parseName(d)
            cs.sourceAt = d.location
        }
        DirectiveRegistry.register(DirectiveSpec("override_charset", ctx, .flag)) { d, c in
            let cs = get(c.loc!)
            if cs.override != nil {
                throw ConfigError("\"override_charset\" directive is duplicate", at: d.location)
            }
            cs.override = d.flagValue
        }
        DirectiveRegistry.register(DirectiveSpec("charset_types", .httpAll, .atLeast(1))) { d, c in
            let cs = get(c.loc!)
            // As ngx_http_types_slot: a list given replaces the defaults but text/html.
            var set = cs.types ?? ["text/html"]
            for a in d.values {
                if a == "*" {
                    cs.anyType = true
                    continue
                }
                let t = a.lowercased()
                if set.contains(t) && t != "text/html" {
                    c.cycle.warnings.append(ConfigError("duplicate MIME type \"\(a)\"", at: d.location))
                }
                set.insert(t)
            }
            cs.types = set
        }
        DirectiveRegistry.register(DirectiveSpec("charset_map", .http, .exactly(2), block: .block)) { d, _ in
            throw ConfigError(
                "\"charset_map\" directive is not supported: moongate does not recode responses", at: d.location)
        }
        DirectiveRegistry.onPostConfiguration(checkNoRecoding)
    }

    /// Refuses levels where `source_charset` names another charset than `charset`: nginx
    /// would recode there (with a `charset_map`), which moongate does not do.
    static func checkNoRecoding(_ cycle: CycleConfig) throws {
        guard let http = cycle.http else { return }
        func check(_ l: LocationConfig) throws {
            if let cs = l.charset, case .literal(let dst)? = cs.charset, case .literal(let src)? = cs.source,
                dst.lowercased() != src.lowercased()
            {
                throw ConfigError(
                    "\"source_charset\" \"\(src)\" differs from \"charset\" \"\(dst)\": "
                        + "moongate does not recode responses", at: cs.sourceAt ?? cs.charsetAt)
            }
            for ch in l.children { try check(ch) }
            for ch in l.named.values { try check(ch) }
            for ins in l.rewriteScript.instructions {
                if case .ifBlock(_, let il) = ins { try check(il) }
            }
        }
        for s in http.servers { try check(s.serverLevel) }
    }
}
