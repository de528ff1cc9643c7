import MoongateConfig
import MoongateCore

/// Settings of the gzip filter for one level (nginx's `ngx_http_gzip_conf_t` plus the
/// `gzip_*` fields of the core module's location conf). Unset fields are nil and inherit.
public final class GzipConf {
    /// `gzip_proxied` flags, as nginx's `NGX_HTTP_GZIP_PROXIED_*`.
    public struct Proxied: OptionSet {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        static let off = Proxied(rawValue: 1 << 1)
        static let expired = Proxied(rawValue: 1 << 2)
        static let noCache = Proxied(rawValue: 1 << 3)
        static let noStore = Proxied(rawValue: 1 << 4)
        static let `private` = Proxied(rawValue: 1 << 5)
        static let noLastModified = Proxied(rawValue: 1 << 6)
        static let noETag = Proxied(rawValue: 1 << 7)
        static let auth = Proxied(rawValue: 1 << 8)
        static let any = Proxied(rawValue: 1 << 9)

        static let names: [(String, Proxied)] = [
            ("off", .off), ("expired", .expired), ("no-cache", .noCache), ("no-store", .noStore),
            ("private", .private), ("no_last_modified", .noLastModified), ("no_etag", .noETag),
            ("auth", .auth), ("any", .any),
        ]
    }

    var enable: Bool?
    /// Lowercased MIME types; an empty set with `anyType` for `gzip_types *`.
    var types: Set<String>?
    var anyType = false
    var level: Int?
    var minLength: Int?
    var vary: Bool?
    var proxied: Proxied?
    /// 10 or 11 (`gzip_http_version 1.0|1.1`).
    var httpVersion: Int?
    var disableMSIE6: Bool?
    var disable: [Regex]?
    /// `gzip_buffers number size`: the size of zlib's output pieces.
    var bufferSize: Int?
    /// `gzip_window` and `gzip_hash` as zlib's window bits and memory level.
    var windowBits: Int?
    var memLevel: Int?
    /// `postpone_gzipping` (bytes); output is the same, only held longer.
    var postpone: Int?

    init() {}

    var isEnabled: Bool { enable ?? false }

    /// Fills unset fields from the enclosing level (nginx's merge_loc_conf).
    func merge(from p: GzipConf) {
        enable = enable ?? p.enable
        if types == nil {
            types = p.types
            anyType = p.anyType
        }
        level = level ?? p.level
        minLength = minLength ?? p.minLength
        vary = vary ?? p.vary
        proxied = proxied ?? p.proxied
        httpVersion = httpVersion ?? p.httpVersion
        disableMSIE6 = disableMSIE6 ?? p.disableMSIE6
        disable = disable ?? p.disable
        bufferSize = bufferSize ?? p.bufferSize
        windowBits = windowBits ?? p.windowBits
        memLevel = memLevel ?? p.memLevel
        postpone = postpone ?? p.postpone
    }

    /// Whether the response's MIME type is one of `gzip_types` (text/html always is).
    func matchesType(_ contentType: String?) -> Bool {
        if anyType { return true }
        guard let ct = contentType, !ct.isEmpty else { return false }
        // As nginx's content_type_len: the type before any ";" parameters.
        var bare = Substring(ct)
        if let semi = ct.firstIndex(of: ";") { bare = ct[..<semi] }
        let lower = bare.lowercased()
        if lower == "text/html" { return true }
        return types?.contains(lower) ?? false
    }

    /// The conf of a location level, created on first use.
    static func get(_ l: LocationConfig) -> GzipConf {
        if let c = l.gzip { return c }
        let c = GzipConf()
        l.gzip = c
        return c
    }

    static func register() {
        let all: DirectiveContext = .httpAll
        DirectiveRegistry.register(DirectiveSpec("gzip", [.http, .server, .location, .locationIf], .flag)) { d, c in
            let g = get(c.loc!)
            if g.enable != nil { throw ConfigError("\"gzip\" directive is duplicate", at: d.location) }
            g.enable = d.flagValue
        }
        DirectiveRegistry.register(DirectiveSpec("gzip_vary", all, .flag)) { d, c in
            let g = get(c.loc!)
            if g.vary != nil { throw ConfigError("\"gzip_vary\" directive is duplicate", at: d.location) }
            g.vary = d.flagValue
        }
        DirectiveRegistry.register(DirectiveSpec("gzip_types", all, .atLeast(1))) { d, c in
            let g = get(c.loc!)
            var set = g.types ?? []
            for a in d.values {
                if a == "*" {
                    g.anyType = true
                    continue
                }
                let t = a.lowercased()
                if set.contains(t) && t != "text/html" {
                    c.cycle.warnings.append(ConfigError("duplicate MIME type \"\(a)\"", at: d.location))
                }
                set.insert(t)
            }
            g.types = set
        }
        DirectiveRegistry.register(DirectiveSpec("gzip_comp_level", all, .exactly(1))) { d, c in
            let g = get(c.loc!)
            if g.level != nil { throw ConfigError("\"gzip_comp_level\" directive is duplicate", at: d.location) }
            guard let n = Int(d.values[0]), n >= 0 else {
                throw ConfigError("\"gzip_comp_level\" directive invalid number", at: d.location)
            }
            guard (1...9).contains(n) else {
                throw ConfigError("value must be between 1 and 9", at: d.location)
            }
            g.level = n
        }
        DirectiveRegistry.register(DirectiveSpec("gzip_min_length", all, .exactly(1))) { d, c in
            let g = get(c.loc!)
            if g.minLength != nil { throw ConfigError("\"gzip_min_length\" directive is duplicate", at: d.location) }
            guard let n = ConfUnits.size(d.values[0]) else {
                throw ConfigError("\"gzip_min_length\" directive invalid value", at: d.location)
            }
            g.minLength = n
        }
        DirectiveRegistry.register(DirectiveSpec("gzip_http_version", all, .exactly(1))) { d, c in
            let g = get(c.loc!)
            if g.httpVersion != nil {
                throw ConfigError("\"gzip_http_version\" directive is duplicate", at: d.location)
            }
            switch d.values[0] {
            case "1.0": g.httpVersion = 10
            case "1.1": g.httpVersion = 11
            default: throw ConfigError("invalid value \"\(d.values[0])\"", at: d.location)
            }
        }
        DirectiveRegistry.register(DirectiveSpec("gzip_proxied", all, .atLeast(1))) { d, c in
            let g = get(c.loc!)
            if g.proxied != nil { throw ConfigError("\"gzip_proxied\" directive is duplicate", at: d.location) }
            var p: Proxied = []
            for a in d.values {
                guard let f = Proxied.names.first(where: { $0.0 == a.lowercased() })?.1 else {
                    throw ConfigError("invalid value \"\(a)\"", at: d.location)
                }
                if p.contains(f) {
                    c.cycle.warnings.append(ConfigError("duplicate value \"\(a)\"", at: d.location))
                }
                p.insert(f)
            }
            g.proxied = p
        }
        DirectiveRegistry.register(DirectiveSpec("gzip_disable", all, .atLeast(1))) { d, c in
            let g = get(c.loc!)
            var list = g.disable ?? []
            for a in d.values {
                if a == "msie6" {
                    g.disableMSIE6 = true
                    continue
                }
                do {
                    list.append(try Regex(a, caseless: true))
                } catch {
                    throw ConfigError("\(error)", at: d.location)
                }
            }
            g.disable = list
        }
        DirectiveRegistry.register(DirectiveSpec("gzip_buffers", all, .exactly(2))) { d, c in
            let g = get(c.loc!)
            if g.bufferSize != nil { throw ConfigError("\"gzip_buffers\" directive is duplicate", at: d.location) }
            guard let n = Int(d.values[0]), n > 0 else {
                throw ConfigError("\"gzip_buffers\" directive invalid value", at: d.location)
            }
            guard let size = ConfUnits.size(d.values[1]), size > 0 else {
                throw ConfigError("\"gzip_buffers\" directive invalid value", at: d.location)
            }
            _ = n
            g.bufferSize = size
        }
        // nginx's ngx_http_gzip_window / ngx_http_gzip_hash post handlers.
        DirectiveRegistry.register(DirectiveSpec("gzip_window", all, .exactly(1))) { d, c in
            let g = get(c.loc!)
            if g.windowBits != nil { throw ConfigError("\"gzip_window\" directive is duplicate", at: d.location) }
            guard let size = ConfUnits.size(d.values[0]) else {
                throw ConfigError("\"gzip_window\" directive invalid value", at: d.location)
            }
            let sizes = [512: 9, 1024: 10, 2048: 11, 4096: 12, 8192: 13, 16384: 14, 32768: 15]
            guard let bits = sizes[size] else {
                throw ConfigError(
                    "\"gzip_window\" directive must be 512, 1k, 2k, 4k, 8k, 16k, or 32k", at: d.location)
            }
            g.windowBits = bits
        }
        DirectiveRegistry.register(DirectiveSpec("gzip_hash", all, .exactly(1))) { d, c in
            let g = get(c.loc!)
            if g.memLevel != nil { throw ConfigError("\"gzip_hash\" directive is duplicate", at: d.location) }
            guard let size = ConfUnits.size(d.values[0]) else {
                throw ConfigError("\"gzip_hash\" directive invalid value", at: d.location)
            }
            var level = 9
            var h = 128 * 1024
            while h > 256 && h != size {
                h >>= 1
                level -= 1
            }
            guard h == size else {
                throw ConfigError(
                    "\"gzip_hash\" directive must be 512, 1k, 2k, 4k, 8k, 16k, 32k, 64k, or 128k", at: d.location)
            }
            g.memLevel = level
        }
        DirectiveRegistry.register(DirectiveSpec("postpone_gzipping", all, .exactly(1))) { d, c in
            let g = get(c.loc!)
            if g.postpone != nil {
                throw ConfigError("\"postpone_gzipping\" directive is duplicate", at: d.location)
            }
            guard let n = ConfUnits.size(d.values[0]) else {
                throw ConfigError("\"postpone_gzipping\" directive invalid value", at: d.location)
            }
            g.postpone = n
        }
        Variables.register("gzip_ratio") { r in r.gzip?.ratio }
    }
}
