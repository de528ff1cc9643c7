import MoongateConfig
import MoongateCore

/// `proxy_next_upstream` conditions (nginx's `NGX_HTTP_UPSTREAM_FT_*`).
public struct NextUpstream: OptionSet {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let error = NextUpstream(rawValue: 1 << 1)
    public static let timeout = NextUpstream(rawValue: 1 << 2)
    public static let invalidHeader = NextUpstream(rawValue: 1 << 3)
    public static let http500 = NextUpstream(rawValue: 1 << 4)
    public static let http502 = NextUpstream(rawValue: 1 << 5)
    public static let http503 = NextUpstream(rawValue: 1 << 6)
    public static let http504 = NextUpstream(rawValue: 1 << 7)
    public static let http403 = NextUpstream(rawValue: 1 << 8)
    public static let http404 = NextUpstream(rawValue: 1 << 9)
    public static let http429 = NextUpstream(rawValue: 1 << 10)
    public static let nonIdempotent = NextUpstream(rawValue: 1 << 11)
    public static let noLive = NextUpstream(rawValue: 1 << 30)

    static let names: [String: NextUpstream] = [
        "error": .error, "timeout": .timeout, "invalid_header": .invalidHeader, "http_500": .http500,
        "http_502": .http502, "http_503": .http503, "http_504": .http504, "http_403": .http403,
        "http_404": .http404, "http_429": .http429, "non_idempotent": .nonIdempotent,
    ]

    /// The condition a response status stands for, if any.
    static func forStatus(_ s: Int) -> NextUpstream? {
        switch s {
        case 500: return .http500
        case 502: return .http502
        case 503: return .http503
        case 504: return .http504
        case 403: return .http403
        case 404: return .http404
        case 429: return .http429
        default: return nil
        }
    }
}

/// What `proxy_pass` names.
enum ProxyPassTarget {
    /// A literal URL, resolved at configuration time.
    case fixed(upstreamName: String?, host: String, port: Int, uri: String?)
    /// A URL with variables, resolved per request.
    case variable(ComplexValue)
}

/// One `proxy_redirect from to`.
enum ProxyRedirect {
    case off
    case defaultRule
    case rule(from: ComplexValue, to: ComplexValue)
}

/// Per-location settings of the proxy module (nginx's `ngx_http_proxy_loc_conf_t`).
final class ProxyLocConf: MergeableModuleConf {
    static let key = "proxy"

    var pass: ProxyPassTarget?
    /// The `proxy_pass` argument as written (for `proxy_redirect default`).
    var passText = ""
    /// The resolved upstream of a fixed `proxy_pass` (set in postconfiguration).
    var upstream: UpstreamBlock?
    /// The location prefix `proxy_pass` with a URI part replaces.
    var locationPrefix: String?
    /// proxy_pass is inside a regex or named location or an if block.
    var noURIAllowed = false

    var setHeaders: [(String, ComplexValue)]? = nil
    var passRequestHeaders: Bool? = nil
    var passRequestBody: Bool? = nil
    var httpVersion: Int? = nil
    var hideHeaders: [String]? = nil
    var passHeaders: [String]? = nil
    var buffering: Bool? = nil
    var redirects: [ProxyRedirect]? = nil
    var interceptErrors: Bool? = nil
    var nextUpstream: NextUpstream? = nil
    var nextUpstreamTries: Int? = nil
    var nextUpstreamTimeout: Int? = nil
    var connectTimeout: Int? = nil
    var sendTimeout: Int? = nil
    var readTimeout: Int? = nil
    var bufferSize: Int? = nil
    var ignoreClientAbort: Bool? = nil
    var method: ComplexValue? = nil
    /// `proxy_ignore_headers`, lowercased.
    var ignoreHeaders: Set<String>? = nil

    init() {}

    /// The conf of a location level, created on first use.
    static func get(_ l: LocationConfig) -> ProxyLocConf {
        if let c = l.moduleConf[key] as? ProxyLocConf { return c }
        let c = ProxyLocConf()
        l.moduleConf[key] = c
        return c
    }

    static func of(_ l: LocationConfig) -> ProxyLocConf? { l.moduleConf[key] as? ProxyLocConf }

    func inherited() -> AnyObject {
        let c = ProxyLocConf()
        c.merge(from: self)
        return c
    }

    func merge(from parent: AnyObject) {
        guard let p = parent as? ProxyLocConf else { return }
        setHeaders = setHeaders ?? p.setHeaders
        passRequestHeaders = passRequestHeaders ?? p.passRequestHeaders
        passRequestBody = passRequestBody ?? p.passRequestBody
        httpVersion = httpVersion ?? p.httpVersion
        hideHeaders = hideHeaders ?? p.hideHeaders
        passHeaders = passHeaders ?? p.passHeaders
        buffering = buffering ?? p.buffering
        redirects = redirects ?? p.redirects
        interceptErrors = interceptErrors ?? p.interceptErrors
        nextUpstream = nextUpstream ?? p.nextUpstream
        nextUpstreamTries = nextUpstreamTries ?? p.nextUpstreamTries
        nextUpstreamTimeout = nextUpstreamTimeout ?? p.nextUpstreamTimeout
        connectTimeout = connectTimeout ?? p.connectTimeout
        sendTimeout = sendTimeout ?? p.sendTimeout
        readTimeout = readTimeout ?? p.readTimeout
        bufferSize = bufferSize ?? p.bufferSize
        ignoreClientAbort = ignoreClientAbort ?? p.ignoreClientAbort
        method = method ?? p.method
        ignoreHeaders = ignoreHeaders ?? p.ignoreHeaders
    }

    // Effective values with nginx's defaults.
    var effNextUpstream: NextUpstream { nextUpstream ?? [.error, .timeout] }
    var effConnectTimeout: Int { connectTimeout ?? 60_000 }
    var effSendTimeout: Int { sendTimeout ?? 60_000 }
    var effReadTimeout: Int { readTimeout ?? 60_000 }
    var effHTTPVersion: Int { httpVersion ?? 10 }
    var effBuffering: Bool { buffering ?? true }
}
