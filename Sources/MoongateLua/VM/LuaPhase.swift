/// The contexts ngx_lua knows, as bits for API checks (`ngx.get_phase()` names them).
public struct LuaPhase: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let initPhase = LuaPhase(rawValue: 1 << 0)
    public static let initWorker = LuaPhase(rawValue: 1 << 1)
    public static let set = LuaPhase(rawValue: 1 << 2)
    public static let rewrite = LuaPhase(rawValue: 1 << 3)
    public static let access = LuaPhase(rawValue: 1 << 4)
    public static let content = LuaPhase(rawValue: 1 << 5)
    public static let log = LuaPhase(rawValue: 1 << 6)
    public static let headerFilter = LuaPhase(rawValue: 1 << 7)
    public static let bodyFilter = LuaPhase(rawValue: 1 << 8)
    public static let timer = LuaPhase(rawValue: 1 << 9)
    public static let balancer = LuaPhase(rawValue: 1 << 10)
    public static let sslCert = LuaPhase(rawValue: 1 << 11)
    public static let exitWorker = LuaPhase(rawValue: 1 << 12)
    public static let serverRewrite = LuaPhase(rawValue: 1 << 13)
    public static let precontent = LuaPhase(rawValue: 1 << 14)

    /// Phases where the handler runs in a coroutine and may yield.
    public static let yieldable: LuaPhase = [.rewrite, .access, .content, .timer, .serverRewrite, .precontent]

    /// `ngx.get_phase()` value.
    public var name: String {
        switch self {
        case .initPhase: return "init"
        case .initWorker: return "init_worker"
        case .set: return "set"
        case .rewrite, .serverRewrite: return "rewrite"
        case .access: return "access"
        case .content: return "content"
        case .log: return "log"
        case .headerFilter: return "header_filter"
        case .bodyFilter: return "body_filter"
        case .timer: return "timer"
        case .balancer: return "balancer"
        case .sslCert: return "ssl_cert"
        case .exitWorker: return "exit_worker"
        case .precontent: return "precontent"
        default: return "unknown"
        }
    }

    /// The directive name used in "API disabled in the context of ..." messages.
    public var contextName: String {
        switch self {
        case .initPhase: return "init_by_lua*"
        case .initWorker: return "init_worker_by_lua*"
        case .set: return "set_by_lua*"
        case .rewrite: return "rewrite_by_lua*"
        case .serverRewrite: return "server_rewrite_by_lua*"
        case .access: return "access_by_lua*"
        case .content: return "content_by_lua*"
        case .log: return "log_by_lua*"
        case .headerFilter: return "header_filter_by_lua*"
        case .bodyFilter: return "body_filter_by_lua*"
        case .timer: return "ngx.timer"
        case .balancer: return "balancer_by_lua*"
        case .sslCert: return "ssl_certificate_by_lua*"
        case .exitWorker: return "exit_worker_by_lua*"
        case .precontent: return "precontent_by_lua*"
        default: return "(unknown)"
        }
    }
}
