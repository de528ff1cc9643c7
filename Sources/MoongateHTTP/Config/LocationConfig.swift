import MoongateConfig
import MoongateCore

/// How a `location` matches, in nginx's terms.
public enum LocationMatch {
    case exact(String)  // location = /x
    case prefixNoRegex(String)  // location ^~ /x
    case prefix(String)  // location /x
    case regex(Regex, caseless: Bool)  // location ~ / ~*
    case named(String)  // location @x
    case ifBlock  // the pseudo-location of an `if` block
    case server  // the server block's own settings
    case http  // the http block's own settings
}

/// An `add_header` entry.
public struct AddHeader {
    public var name: String
    public var value: ComplexValue
    public var always: Bool
}

/// An `error_page` entry.
public struct ErrorPageRule {
    public var codes: Set<Int>
    /// `=` (keep the upstream code), `=NNN` (override), nil (keep the original code).
    public enum Override { case none, useTarget, code(Int) }
    public var override: Override
    public var target: ComplexValue
}

/// `allow`/`deny` rule.
public struct AccessRule {
    public var allow: Bool
    public var network: IPNetwork?  // nil means "all"
}

/// A phase handler registered by a module (ngx_lua registers rewrite/access/content ones).
public protocol PhaseHandler: AnyObject {
    /// Runs for the request; may finish later (return `.again` and call `r.resumePhases`).
    func handle(_ r: HTTPRequest) -> PhaseResult
}

/// A filter registered by a module: sees the response header and each body chunk.
public protocol ResponseFilter: AnyObject {
    /// Called once, before the header is written. May change status and headers.
    func headerFilter(_ r: HTTPRequest) -> FilterResult
    /// Called for each chunk (`last` on the final one). May replace the data.
    func bodyFilter(_ r: HTTPRequest, _ chunk: inout BodyChunk) -> FilterResult
    /// false when `bodyFilter` leaves every chunk as it is (a header filter alone): body
    /// data may then bypass it (`HTTPRequest.outputDirect`).
    var hasBodyFilter: Bool { get }
}

extension ResponseFilter {
    public var hasBodyFilter: Bool { true }
}

/// A handler that runs after the response (log phase).
public protocol LogHandler: AnyObject {
    func log(_ r: HTTPRequest)
}

/// Settings of one location (also the server and http levels, which locations inherit from).
/// Optional fields are inherited from the enclosing level when not set (nginx's merge).
public final class LocationConfig {
    public var match: LocationMatch
    public var location: SourceLocation?
    /// The enclosing level. Not weak: a weak reference gives the parent a side table, and
    /// every retain and release of it (the server level, as each request starts and finds
    /// its location) then takes the runtime's slow path. The configuration tree lives as
    /// long as its cycle, and a parent holds its children.
    public unowned(unsafe) var parent: LocationConfig?
    public var server: ServerConfig?
    /// Nested locations in declaration order.
    public var children: [LocationConfig] = [] {
        didSet { childTable = nil }
    }
    /// `children`'s matches as bytes, made by the first search (LocationMatcher).
    var childTable: LocationTable? = nil
    /// The static module's data for this location (its root as bytes), made on first use.
    var staticCache: StaticModule.LocCache? = nil
    /// Named locations (only on the server level).
    public var named: [String: LocationConfig] = [:]

    // Not inherited.
    public var rewriteScript = RewriteScript()
    public var internalOnly = false
    public var tryFiles: [ComplexValue]? = nil
    public var contentHandler: PhaseHandler? = nil
    public var rewriteHandlers: [PhaseHandler] = []
    public var accessHandlers: [PhaseHandler] = []
    public var precontentHandlers: [PhaseHandler] = []

    // Inherited (nil = not set at this level).
    public var root: ComplexValue? = nil
    public var alias: ComplexValue? = nil
    public var index: [ComplexValue]? = nil
    /// `error_log` at this level, else the enclosing level's (nil: the main log).
    public var errorLog: ErrorLog? = nil
    public var errorPages: [ErrorPageRule]? = nil
    public var addHeaders: [AddHeader]? = nil
    public var defaultType: String? = nil
    public var types: [String: String]? = nil
    public var clientMaxBodySize: Int? = nil
    public var clientBodyBufferSize: Int? = nil
    public var clientBodyTimeout: Int? = nil
    /// `max_ranges`: more ranges than this (0: any) and the whole file is sent.
    public var maxRanges: Int? = nil
    public var sendTimeout: Int? = nil
    public var keepaliveTimeout: Int? = nil
    public var keepaliveRequests: Int? = nil
    /// The second `keepalive_timeout` value, sent as `Keep-Alive: timeout=N` (seconds).
    public var keepaliveHeaderTimeout: Int? = nil
    public var accessLogs: [AccessLogTarget]? = nil
    public var accessRules: [AccessRule]? = nil
    public var logNotFound: Bool? = nil
    public var serverTokens: Bool? = nil
    public var chunkedTransferEncoding: Bool? = nil
    public var etag: Bool? = nil
    public var ifModifiedSince: String? = nil
    public var recursiveErrorPages: Bool? = nil
    public var absoluteRedirect: Bool? = nil
    public var serverNameInRedirect: Bool? = nil
    public var portInRedirect: Bool? = nil
    public var msiePadding: Bool? = nil
    public var rewriteLog: Bool? = nil
    public var uninitializedVariableWarn: Bool? = nil
    /// `expires`.
    public var expires: ExpiresSetting? = nil
    /// The gzip filter's settings (`gzip*`), nil when no level set any.
    public var gzip: GzipConf? = nil
    /// The charset filter's settings (`charset*`), nil when no level set any.
    public var charset: CharsetConf? = nil
    /// `limit_except`: other settings for methods not listed (not inherited).
    public var limitExcept: LimitExcept? = nil
    /// Inherited filters and log handlers registered by modules (header_filter_by_lua etc.).
    public var filters: [ResponseFilter]? = nil
    public var logHandlers: [LogHandler]? = nil
    /// Per-module settings, keyed by the module's name; modules merge them themselves.
    public var moduleConf = ModuleContexts()

    public init(match: LocationMatch, location: SourceLocation?, parent: LocationConfig?) {
        self.match = match
        self.location = location
        self.parent = parent
    }

    /// The URI part a prefix/exact location matches on.
    public var prefixString: String? {
        switch match {
        case .exact(let s), .prefix(let s), .prefixNoRegex(let s): return s
        default: return nil
        }
    }

    /// Fills unset inherited settings from `p` (nginx's merge_loc_conf).
    public func merge(from p: LocationConfig) {
        if root == nil && alias == nil {
            root = p.root
        }
        errorLog = errorLog ?? p.errorLog
        index = index ?? p.index
        errorPages = errorPages ?? p.errorPages
        addHeaders = addHeaders ?? p.addHeaders
        defaultType = defaultType ?? p.defaultType
        types = types ?? p.types
        clientMaxBodySize = clientMaxBodySize ?? p.clientMaxBodySize
        clientBodyBufferSize = clientBodyBufferSize ?? p.clientBodyBufferSize
        clientBodyTimeout = clientBodyTimeout ?? p.clientBodyTimeout
        maxRanges = maxRanges ?? p.maxRanges
        sendTimeout = sendTimeout ?? p.sendTimeout
        keepaliveTimeout = keepaliveTimeout ?? p.keepaliveTimeout
        keepaliveRequests = keepaliveRequests ?? p.keepaliveRequests
        keepaliveHeaderTimeout = keepaliveHeaderTimeout ?? p.keepaliveHeaderTimeout
        accessLogs = accessLogs ?? p.accessLogs
        accessRules = accessRules ?? p.accessRules
        logNotFound = logNotFound ?? p.logNotFound
        serverTokens = serverTokens ?? p.serverTokens
        chunkedTransferEncoding = chunkedTransferEncoding ?? p.chunkedTransferEncoding
        etag = etag ?? p.etag
        ifModifiedSince = ifModifiedSince ?? p.ifModifiedSince
        recursiveErrorPages = recursiveErrorPages ?? p.recursiveErrorPages
        absoluteRedirect = absoluteRedirect ?? p.absoluteRedirect
        serverNameInRedirect = serverNameInRedirect ?? p.serverNameInRedirect
        portInRedirect = portInRedirect ?? p.portInRedirect
        msiePadding = msiePadding ?? p.msiePadding
        rewriteLog = rewriteLog ?? p.rewriteLog
        uninitializedVariableWarn = uninitializedVariableWarn ?? p.uninitializedVariableWarn
        expires = expires ?? p.expires
        if let g = gzip {
            if let pg = p.gzip { g.merge(from: pg) }
        } else {
            gzip = p.gzip
        }
        if let cs = charset {
            if let pc = p.charset { cs.merge(from: pc) }
        } else {
            charset = p.charset
        }
        filters = filters ?? p.filters
        if rewriteHandlers.isEmpty { rewriteHandlers = p.rewriteHandlers }
        if accessHandlers.isEmpty { accessHandlers = p.accessHandlers }
        if precontentHandlers.isEmpty { precontentHandlers = p.precontentHandlers }
        logHandlers = logHandlers ?? p.logHandlers
        for (k, v) in p.moduleConf where moduleConf[k] == nil {
            if let m = v as? MergeableModuleConf {
                moduleConf[k] = m.inherited()
            } else {
                moduleConf[k] = v
            }
        }
        if let mine = moduleConfMergeables() {
            for (k, m) in mine { if let pv = p.moduleConf[k] { m.merge(from: pv) } }
        }
    }

    private func moduleConfMergeables() -> [(String, MergeableModuleConf)]? {
        var out: [(String, MergeableModuleConf)] = []
        for (k, v) in moduleConf { if let m = v as? MergeableModuleConf { out.append((k, m)) } }
        return out.isEmpty ? nil : out
    }

    /// Applies nginx's defaults to anything still unset (on the http level).
    public func applyDefaults() {
        root = root ?? ComplexValue(literal: "html")
        index = index ?? [ComplexValue(literal: "index.html")]
        errorPages = errorPages ?? []
        addHeaders = addHeaders ?? []
        defaultType = defaultType ?? "text/plain"
        types = types ?? ["html": "text/html", "gif": "image/gif", "jpg": "image/jpeg"]
        clientMaxBodySize = clientMaxBodySize ?? 1024 * 1024
        clientBodyBufferSize = clientBodyBufferSize ?? 16 * 1024
        clientBodyTimeout = clientBodyTimeout ?? 60_000
        sendTimeout = sendTimeout ?? 60_000
        keepaliveTimeout = keepaliveTimeout ?? 75_000
        keepaliveRequests = keepaliveRequests ?? 1000
        accessLogs = accessLogs ?? []
        accessRules = accessRules ?? []
        logNotFound = logNotFound ?? true
        serverTokens = serverTokens ?? true
        chunkedTransferEncoding = chunkedTransferEncoding ?? true
        etag = etag ?? true
        ifModifiedSince = ifModifiedSince ?? "exact"
        recursiveErrorPages = recursiveErrorPages ?? false
        absoluteRedirect = absoluteRedirect ?? true
        serverNameInRedirect = serverNameInRedirect ?? false
        portInRedirect = portInRedirect ?? true
        msiePadding = msiePadding ?? true
        rewriteLog = rewriteLog ?? false
        uninitializedVariableWarn = uninitializedVariableWarn ?? true
        filters = filters ?? []
        logHandlers = logHandlers ?? []
    }
}

/// Module settings that know how to inherit (ngx_lua's per-location conf, for example).
public protocol MergeableModuleConf: AnyObject {
    /// A copy for a child level that did not set anything itself.
    func inherited() -> AnyObject
    /// Fill unset fields from the parent's object.
    func merge(from parent: AnyObject)
}
