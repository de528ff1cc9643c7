import MoongateConfig
import MoongateCore
#if canImport(Glibc)
import Glibc
#endif

/// nginx's variables: built-in getters, prefixed families (`$http_`, `$arg_`, `$cookie_`,
/// `$sent_http_`) and user variables made by `set`. Modules add their own.
public enum Variables {
    public typealias Getter = (HTTPRequest) -> String?
    public typealias Setter = (HTTPRequest, String?) -> Bool

    nonisolated(unsafe) static var getters: [String: Getter] = builtins() { didSet { generation &+= 1 } }
    nonisolated(unsafe) static var prefixGetters: [(String, (HTTPRequest, String) -> String?)] = builtinPrefixes() {
        didSet { generation &+= 1 }
    }
    nonisolated(unsafe) static var declared: Set<String> = [] { didSet { generation &+= 1 } }
    /// Changes whenever a getter, prefix or declaration changes: resolved lookups made
    /// before are stale.
    nonisolated(unsafe) public private(set) static var generation = 0
    nonisolated(unsafe) static var setters: [String: Setter] = builtinSetters()
    /// The installation prefix (`$prefix`), set at startup.
    nonisolated(unsafe) public static var prefix = ""
    /// Host name of the machine (`$hostname`).
    nonisolated(unsafe) public static var hostname: String = {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, 255)
        return String(cString: buf)
    }()

    /// Registers a variable (modules such as the upstream module).
    public static func register(_ name: String, getter: @escaping Getter, setter: Setter? = nil) {
        getters[name] = getter
        if let setter { setters[name] = setter }
    }

    /// Registers a prefixed family (`upstream_http_`).
    public static func registerPrefix(_ prefix: String, _ getter: @escaping (HTTPRequest, String) -> String?) {
        prefixGetters.append((prefix, getter))
    }

    /// Declares a user variable (`set $x ...`) so that later references compile.
    public static func declare(_ name: String) { declared.insert(name.lowercased()) }

    /// nginx's `ngx_http_arg`: the value of the first `name=value` pair of `args` whose
    /// name equals `name` (lowercase) case-insensitively, on bytes.
    static func argument(_ name: String, in args: String) -> String? {
        var a = args
        var nm = name
        return a.withUTF8 { ab in
            nm.withUTF8 { nb -> String? in
                let n = ab.count
                var i = 0
                while i < n {
                    var end = i
                    while end < n && ab[end] != 0x26 { end += 1 }
                    var eq = i
                    while eq < end && ab[eq] != 0x3D { eq += 1 }
                    if eq - i == nb.count {
                        var same = true
                        for k in 0..<nb.count {
                            let c = ab[i + k]
                            if asciiLower(c) != nb[k] {
                                same = false
                                break
                            }
                        }
                        if same {
                            return eq < end ? String(decoding: UnsafeBufferPointer(rebasing: ab[(eq + 1)..<end]), as: UTF8.self) : ""
                        }
                    }
                    i = end + 1
                }
                return nil
            }
        }
    }

    /// Variable names used before any declaration, checked after the whole configuration
    /// is read (nginx's ngx_http_variables_init_vars).
    nonisolated(unsafe) static var pendingChecks: [String] = []

    /// Throws nginx's `unknown "x" variable` for the first name still unknown.
    static func checkPending() throws {
        defer { pendingChecks = [] }
        for name in pendingChecks where !isKnown(name) {
            throw ConfigError("unknown \"\(name)\" variable", at: nil)
        }
    }

    /// Whether a name is known at configuration time.
    public static func isKnown(_ name: String) -> Bool {
        let n = name.lowercased()
        if getters[n] != nil || declared.contains(n) { return true }
        for (p, _) in prefixGetters where n.hasPrefix(p) { return true }
        return false
    }

    /// A built-in variable `set` may not replace (nginx: `the duplicate "uri" variable`).
    public static func isBuiltinUnchangeable(_ name: String) -> Bool {
        getters[name] != nil && setters[name] == nil
    }

    /// Whether `name` is a declared user variable.
    public static func isUserVariable(_ name: String) -> Bool { declared.contains(name.lowercased()) }

    /// The value for a request; nil when not found or not set.
    public static func get(_ name: String, _ r: HTTPRequest) -> String? {
        if let st = r.variableStoreIfCreated, !st.values.isEmpty, let v = st.values[name] { return v }
        if let g = getters[name] { return g(r) }
        for (p, g) in prefixGetters where name.hasPrefix(p) {
            return g(r, String(name.dropFirst(p.count)))
        }
        if declared.contains(name) {
            if let st = r.variableStoreIfCreated, !st.unset.isEmpty && st.unset.contains(name) { return nil }
            // A `set` variable this request never set: nginx's ngx_http_rewrite_var gives
            // the empty value and warns.
            if r.loc.uninitializedVariableWarn ?? true {
                r.log(.warn, "using uninitialized \"\(name)\" variable")
            }
            // Cached as nginx caches an indexed variable: it warns once per request.
            r.userVars[name] = ""
            return ""
        }
        return nil
    }

    /// How `get` finds a (lowercase) name, worked out once so that repeated reads skip the
    /// dictionary lookup, the prefix scan and the suffix String.
    public enum Lookup {
        case getter(Getter)
        case prefix((HTTPRequest, String) -> String?, String)
        /// Anything else (user variables, unknown names): `get` by name.
        case byName
    }

    /// The lookup `get` would do for `name` when the request set no variable.
    public static func resolve(_ name: String) -> Lookup {
        if let g = getters[name] { return .getter(g) }
        for (p, g) in prefixGetters where name.hasPrefix(p) {
            return .prefix(g, String(name.dropFirst(p.count)))
        }
        return .byName
    }

    /// Whether the request set no variable: then `get` reads a name as `resolve` found it.
    @inline(__always)
    public static func noneSet(_ r: HTTPRequest) -> Bool {
        guard let st = r.variableStoreIfCreated else { return true }
        return st.values.isEmpty
    }

    /// Sets a variable; returns false if it cannot be changed
    /// (`variable "x" not changeable`) or is unknown.
    public static func set(_ name: String, _ value: String?, _ r: HTTPRequest) -> SetResult {
        if let s = setters[name] { return s(r, value) ? .ok : .notChangeable }
        if declared.contains(name) {
            r.userVars[name] = value ?? ""
            return .ok
        }
        if getters[name] != nil { return .notChangeable }
        for (p, _) in prefixGetters where name.hasPrefix(p) { return .notChangeable }
        return .notFound
    }

    public enum SetResult { case ok, notChangeable, notFound }

    /// A header name as `$http_` variables spell it: lowercase, "-" as "_".
    static func variableName(_ header: String) -> String {
        String(header.lowercased().map { $0 == "-" ? "_" : $0 })
    }

    static func headerName(_ suffix: String) -> String {
        String(suffix.map { $0 == "_" ? "-" : $0 })
    }

    static func builtins() -> [String: Getter] {
        var g: [String: Getter] = [:]
        g["uri"] = { $0.uri }
        g["document_uri"] = { $0.uri }
        g["request_uri"] = { $0.head.rawURI }
        g["args"] = { $0.args }
        g["query_string"] = { $0.args }
        g["is_args"] = { ($0.args?.isEmpty == false) ? "?" : "" }
        g["host"] = { r in r.head.host ?? (r.server.primaryName.isEmpty ? r.connection.localAddressString : r.server.primaryName) }
        g["hostname"] = { _ in hostname }
        g["remote_addr"] = { $0.connection.remoteAddress }
        g["binary_remote_addr"] = { r in
            let parts = r.connection.remoteAddress.split(separator: ".").compactMap { UInt8($0) }
            return String(decoding: parts, as: UTF8.self)
        }
        g["remote_port"] = { String($0.connection.remotePort) }
        g["remote_user"] = { _ in nil }
        g["server_addr"] = { $0.connection.localAddressString }
        g["server_port"] = { String($0.connection.localPort) }
        g["server_name"] = { $0.server.primaryName }
        g["server_protocol"] = { $0.head.protocolString }
        g["scheme"] = { $0.connection.tls == nil ? "http" : "https" }
        g["https"] = { $0.connection.tls == nil ? "" : "on" }
        g["ssl_protocol"] = { $0.connection.tls?.protocolName }
        g["ssl_cipher"] = { $0.connection.tls?.cipherName }
        g["ssl_server_name"] = { $0.connection.tls?.serverName }
        g["ssl_session_reused"] = { r in r.connection.tls.map { $0.resumed ? "r" : "." } ?? "" }
        g["ssl_client_verify"] = { $0.connection.tls == nil ? nil : "NONE" }
        g["request_method"] = { $0.method }
        g["request"] = { $0.head.requestLine }
        g["request_length"] = { r in
            // A discarded body that arrived with the head is not counted by nginx.
            if r.bodyDiscarded { return String(r.head.rawHeaderCount) }
            return String(r.head.rawHeaderCount + (r.head.contentLength.map { Int($0) } ?? r.body.data.count))
        }
        g["content_length"] = { r in
            if let v = r.header("content-length") { return v }
            // A chunked body: nginx knows its length once read (0 once discarded).
            guard r.head.chunked, r.body.complete else { return nil }
            return r.bodyDiscarded ? "0" : String(r.body.data.count)
        }
        g["content_type"] = { $0.header("content-type") }
        g["status"] = { r in String(format3(r.status)) }
        g["body_bytes_sent"] = { String($0.bodyBytesSent) }
        g["bytes_sent"] = { String($0.bytesSent) }
        g["request_time"] = { r in
            let ms = max(0, CachedTime.monotonicMsec - r.startMonotonic)
            return formatMsec(Int(ms))
        }
        g["time_local"] = { _ in CachedTime.logTime }
        g["time_iso8601"] = { _ in CachedTime.iso8601 }
        g["msec"] = { _ in "\(CachedTime.sec).\(pad3(CachedTime.msec))" }
        g["pid"] = { _ in String(getpid()) }
        g["connection"] = { String($0.connection.number) }
        g["connection_requests"] = { String($0.connection.requestCount) }
        g["nginx_version"] = { _ in MoongateVersion.nginxVersion }
        g["moongate_version"] = { _ in MoongateVersion.version }
        g["document_root"] = { r in StaticModule.documentRoot(r) }
        g["realpath_root"] = { r in
            let root = StaticModule.documentRoot(r)
            guard let p = realpath(root, nil) else { return root }
            defer { free(p) }
            return String(cString: p)
        }
        g["request_filename"] = { r in StaticModule.mapURIToPath(r) }
        g["request_id"] = { $0.requestID }
        g["prefix"] = { _ in prefix }
        g["request_body"] = { r in
            guard !r.bodyDiscarded, r.body.complete, !r.body.data.isEmpty else { return nil }
            return String(decoding: r.body.data, as: UTF8.self)
        }
        g["content_type"] = { $0.header("content-type") }
        g["http_host"] = { $0.header("host") }
        g["http_cookie"] = { r in
            r.head.materializeHeaders()
            let cs = r.head.headers.filter { $0.name.lowercased() == "cookie" }.map(\.value)
            return cs.isEmpty ? nil : cs.joined(separator: "; ")
        }
        g["sent_http_content_type"] = { $0.headersOut.contentType }
        g["sent_http_content_length"] = { $0.headersOut.contentLength.map { String($0) } }
        g["sent_http_location"] = { $0.headersOut.location }
        g["sent_http_last_modified"] = { $0.headersOut.lastModified.map { CachedTime.httpTime(for: $0) } }
        g["sent_http_connection"] = { $0.keepAlive ? "keep-alive" : "close" }
        g["sent_http_transfer_encoding"] = { $0.chunked ? "chunked" : nil }
        g["limit_rate"] = { _ in "0" }
        g["pipe"] = { $0.pipelined ? "p" : "." }
        g["connection_time"] = { r in
            formatMsec(max(0, Int(Int64(CachedTime.monotonicMsec) - r.connection.openedAtMsec)))
        }
        g["request_completion"] = { r in r.finalized && r.responseDone ? "OK" : "" }
        g["request_body_file"] = { _ in nil }
        return g
    }

    static func builtinSetters() -> [String: Setter] {
        var s: [String: Setter] = [:]
        s["args"] = { r, v in
            r.args = v
            return true
        }
        s["query_string"] = s["args"]
        s["limit_rate"] = { _, _ in true }
        return s
    }

    static func builtinPrefixes() -> [(String, (HTTPRequest, String) -> String?)] {
        [
            ("sent_trailer_", { _, _ in nil }),
            (
                "http_",
                { r, n in
                    // nginx compares the header's name lowercased with "-" read as "_", and
                    // (1.22) joins repeated headers only for Cookie and X-Forwarded-For.
                    r.head.materializeHeaders()
                    let vals = r.head.headers.filter { variableName($0.name) == n }.map(\.value)
                    if vals.isEmpty { return nil }
                    switch n {
                    case "cookie": return vals.joined(separator: "; ")
                    case "x_forwarded_for": return vals.joined(separator: ", ")
                    default: return vals[0]
                    }
                }
            ),
            (
                "arg_",
                { r, n in
                    guard let args = r.args else { return nil }
                    return Variables.argument(n, in: args)
                }
            ),
            (
                "cookie_",
                { r, n in
                    r.head.materializeHeaders()
                    for h in r.head.headers where h.name.lowercased() == "cookie" {
                        for part in h.value.split(separator: ";") {
                            let t = part.drop(while: { $0 == " " })
                            let kv = t.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                            if kv[0] == n { return kv.count > 1 ? String(kv[1]) : "" }
                        }
                    }
                    return nil
                }
            ),
            (
                "sent_http_",
                { r, n in r.headersOut.get(headerName(n)) }
            ),
        ]
    }

    static func format3(_ s: Int) -> String {
        if s < 10 { return "00\(s)" }
        if s < 100 { return "0\(s)" }
        return String(s)
    }

    /// `1.234` from milliseconds.
    public static func formatMsec(_ ms: Int) -> String { "\(ms / 1000).\(pad3(ms % 1000))" }

    static func pad3(_ v: Int) -> String { v < 10 ? "00\(v)" : v < 100 ? "0\(v)" : "\(v)" }
}

/// Version strings.
public enum MoongateVersion {
    public static let version = "0.1.0"
    /// The nginx version we present (tools parse `nginx/X.Y.Z`).
    public static let nginxVersion = "1.27.1"
    public static let nginxVersionNumber = 1_027_001
}
