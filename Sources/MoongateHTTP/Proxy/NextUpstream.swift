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
