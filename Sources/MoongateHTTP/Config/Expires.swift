import MoongateConfig
import MoongateCore

/// `expires`: nginx's headers filter setting of `Expires` and `Cache-Control`.
public enum ExpiresSetting {
    case off
    case epoch
    case max
    /// Seconds from now (or from the file's modification time).
    case after(Int, modified: Bool)

    static func parse(_ d: ConfDirective) throws -> ExpiresSetting {
        var values = d.values
        var modified = false
        if values.count == 2 {
            guard values[0] == "modified" else {
                throw ConfigError("\"expires\" directive invalid value", at: d.location)
            }
            modified = true
            values.removeFirst()
        }
        let v = values[0]
        if !modified {
            switch v {
            case "off": return .off
            case "epoch": return .epoch
            case "max": return .max
            default: break
            }
        }
        var t = Substring(v)
        var negative = false
        if t.hasPrefix("-") {
            negative = true
            t = t.dropFirst()
        } else if t.hasPrefix("+") {
            t = t.dropFirst()
        }
        guard let ms = ConfUnits.milliseconds(String(t), allowYearsMonths: true) else {
            throw ConfigError("\"expires\" directive invalid value", at: d.location)
        }
        return .after(negative ? -ms / 1000 : ms / 1000, modified: modified)
    }

    static func register() {
        DirectiveRegistry.register(
            DirectiveSpec("expires", [.http, .server, .location, .locationIf], .oneOf([1, 2]))
        ) { d, c in
            c.loc!.expires = try parse(d)
        }
    }

    /// Adds the headers for statuses nginx's headers filter touches.
    func apply(_ r: HTTPRequest) {
        guard [200, 201, 204, 206, 301, 302, 303, 304, 307, 308].contains(r.status) else { return }
        let now = Int(CachedTime.now)
        let expires: String
        let cacheControl: String
        switch self {
        case .off: return
        case .epoch:
            expires = "Thu, 01 Jan 1970 00:00:01 GMT"
            cacheControl = "no-cache"
        case .max:
            expires = "Thu, 31 Dec 2037 23:55:55 GMT"
            cacheControl = "max-age=315360000"
        case .after(let secs, let modified):
            let base = modified ? (r.headersOut.lastModified ?? now) : now
            let at = base + secs
            expires = CachedTime.httpTime(for: at)
            let maxAge = at - now
            cacheControl = maxAge < 0 ? "no-cache" : "max-age=\(maxAge)"
        }
        r.headersOut.list.removeAll { $0.0.lowercased() == "expires" || $0.0.lowercased() == "cache-control" }
        r.headersOut.list.append(("Expires", expires))
        r.headersOut.list.append(("Cache-Control", cacheControl))
    }
}
