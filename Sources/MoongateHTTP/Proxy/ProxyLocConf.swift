import MoongateConfig
import MoongateCore

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
    /// A literal `proxy_pass https://...`.
    var passSSL = false
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
    /// `proxy_bind`: the local address of upstream connections; `.some(nil)` is `off`.
    var bind: ComplexValue?? = nil
    /// `proxy_request_buffering` (default on).
    var requestBuffering: Bool? = nil
    /// `proxy_buffers N SIZE`.
    var buffers: (num: Int, size: Int)? = nil
    var busyBuffersSize: Int? = nil
    var maxTempFileSize: Int? = nil
    var tempFileWriteSize: Int? = nil
    /// `proxy_temp_path`, made absolute; the directory a response a slow client cannot
    /// take yet spills into.
    var tempPath: String? = nil
    /// Where a buffer directive was set, for the errors of the merged values.
    var buffersLocation: SourceLocation? = nil

    init() {}

    // Per-request lookups precomputed once per location (after merging).
    /// What a request takes from a fixed `proxy_pass` (its `$proxy_host` made once, the
    /// enum's strings not copied per request); nil for one with variables.
    /// A class: read per request with one retain (a tuple of strings was copied out of
    /// the lazy property, its strings retained and released).
    lazy var fixedTarget: FixedProxyTarget? = {
        guard case .fixed(let name, let host, let port, let uriPart) = pass else { return nil }
        return FixedProxyTarget(
            proxyHost: name ?? (port == (passSSL ? 443 : 80) ? host : "\(host):\(port)"), port: port, uriPart: uriPart)
    }()
    /// The `proxy_set_header` lines (`name: value CRLF`, none for an empty value) made
    /// once when no value has variables (nearly always); nil when one has. Their bytes are
    /// what the writer gives for the Strings (LogBytes).
    lazy var constantSetLines: [UInt8]? = {
        guard let sets = setHeaders else { return [] }
        var out: [UInt8] = []
        for (name, value) in sets {
            guard value.isLiteral else { return nil }
            var v = ""
            for p in value.parts { if case .literal(let s) = p { v += s } }
            if v.isEmpty { continue }
            LogBytes.withBytes(name) { out.append(contentsOf: $0) }
            out.append(contentsOf: ": ".utf8)
            LogBytes.withBytes(v) { out.append(contentsOf: $0) }
            out.append(contentsOf: "\r\n".utf8)
        }
        return out
    }()
    /// Lowercased names of `proxy_set_header`.
    lazy var setHeaderNames: Set<String> = Set((setHeaders ?? []).map { $0.0.lowercased() })
    /// Client header names not passed upstream: the managed ones and those set explicitly.
    lazy var requestSkip: Set<String> = ProxySession.managed.union(setHeaderNames)
    /// `requestSkip` as a list, for ASCII case-insensitive matching without a
    /// lowercased copy and a hash per client header.
    lazy var requestSkipNames = SharedHeaderNameSet(requestSkip)
    /// The last `upstream: "..."` text of the error log context built here: the same
    /// peer and URI, request after request, share one string (one event loop per worker).
    /// (Fields of their own: compared in place, no copy of a cached tuple's strings.)
    private var logNameSSL = false
    private var logNamePeer = ""
    private var logNameURI = ""
    private var logName: String?
    func upstreamLogName(ssl: Bool, peer: String, uri: String) -> String {
        if let name = logName, logNameSSL == ssl, logNamePeer == peer, logNameURI == uri { return name }
        let name = (ssl ? "https://" : "http://") + peer + uri
        logNameSSL = ssl
        logNamePeer = peer
        logNameURI = uri
        logName = name
        return name
    }
    /// The per-request parts above in one object of constants, read once per request:
    /// each read of a lazy property is a check, a retain and a release (~65 instructions).
    lazy var hot = ProxyLocHot(self)
    /// `responseDrop` as a list, matched the same way.
    lazy var responseDropNames = SharedHeaderNameSet(responseDrop)
    /// Which of the headers the proxy sets itself `proxy_set_header` overrides.
    lazy var userSets: (host: Bool, connection: Bool, contentLength: Bool, transferEncoding: Bool) = (
        setHeaderNames.contains("host"), setHeaderNames.contains("connection"),
        setHeaderNames.contains("content-length"), setHeaderNames.contains("transfer-encoding")
    )
    /// Response header names not relayed: hop-by-hop, `proxy_hide_header`, and nginx's
    /// hidden-by-default set minus `proxy_pass_header`.
    lazy var responseDrop: Set<String> = {
        let pass = Set((passHeaders ?? []).map { $0.lowercased() })
        return ProxySession.hopByHop.union((hideHeaders ?? []).map { $0.lowercased() })
            .union(ProxySession.hiddenByDefault.subtracting(pass))
    }()

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
        bind = bind ?? p.bind
        requestBuffering = requestBuffering ?? p.requestBuffering
        buffers = buffers ?? p.buffers
        busyBuffersSize = busyBuffersSize ?? p.busyBuffersSize
        maxTempFileSize = maxTempFileSize ?? p.maxTempFileSize
        tempFileWriteSize = tempFileWriteSize ?? p.tempFileWriteSize
        tempPath = tempPath ?? p.tempPath
        buffersLocation = buffersLocation ?? p.buffersLocation
    }

    // Effective values with nginx's defaults.
    var effNextUpstream: NextUpstream { nextUpstream ?? [.error, .timeout] }
    var effConnectTimeout: Int { connectTimeout ?? 60_000 }
    var effSendTimeout: Int { sendTimeout ?? 60_000 }
    var effReadTimeout: Int { readTimeout ?? 60_000 }
    var effHTTPVersion: Int { httpVersion ?? 10 }
    var effBuffering: Bool { buffering ?? true }
    var effRequestBuffering: Bool { requestBuffering ?? true }
    var effIgnoreClientAbort: Bool { ignoreClientAbort ?? false }
    /// nginx's default `proxy_buffers 8 4k|8k` (one page).
    var effBuffers: (num: Int, size: Int) { buffers ?? (8, 4096) }
    /// The larger of `proxy_buffer_size` and one of `proxy_buffers` (nginx's `size` in merge).
    var effUnitSize: Int { max(bufferSize ?? 4096, effBuffers.size) }
    var effBusyBuffersSize: Int { busyBuffersSize ?? 2 * effUnitSize }
    var effTempFileWriteSize: Int { tempFileWriteSize ?? 2 * effUnitSize }
    var effMaxTempFileSize: Int { maxTempFileSize ?? 1024 * 1024 * 1024 }
}

/// What a proxied request reads of its location's conf, made once (`ProxyLocConf.hot`).
final class ProxyLocHot {
    let fixedTarget: FixedProxyTarget?
    let constantSetLines: [UInt8]?
    let requestSkipNames: SharedHeaderNameSet
    let responseDropNames: SharedHeaderNameSet
    let userSets: (host: Bool, connection: Bool, contentLength: Bool, transferEncoding: Bool)
    /// The upstream request's lines before the client's headers for a GET of the fixed
    /// target's URI part that has no body (nearly every request of such a location), as
    /// `buildRequest` writes them: its request line, the constant proxy_set_header lines,
    /// the Host line and `Connection: close` unless set. Nil when a part of them is not
    /// constant (proxy_method, a proxy_set_header with variables, no URI part, the
    /// client's headers not passed) or the target is not fixed.
    let getPrefix: [UInt8]?

    init(_ c: ProxyLocConf) {
        fixedTarget = c.fixedTarget
        constantSetLines = c.constantSetLines
        requestSkipNames = c.requestSkipNames
        responseDropNames = c.responseDropNames
        userSets = c.userSets
        if let f = fixedTarget, let uri = f.uriPartBytes, let lines = constantSetLines, c.method == nil,
            c.passRequestHeaders ?? true
        {
            var b = Array("GET ".utf8)
            b.append(contentsOf: uri)
            b.append(contentsOf: (c.effHTTPVersion == 11 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n").utf8)
            b.append(contentsOf: lines)
            if !userSets.host && !f.proxyHost.isEmpty { b.append(contentsOf: f.hostLine) }
            if !userSets.connection { b.append(contentsOf: "Connection: close\r\n".utf8) }
            getPrefix = b
        } else {
            getPrefix = nil
        }
    }
}

/// The parts of a fixed `proxy_pass` a request takes (`ProxyLocConf.fixedTarget`).
final class FixedProxyTarget {
    let proxyHost: String
    let port: Int
    let uriPart: String?
    /// `Host: $proxy_host CRLF` as the request writer gives it, made once.
    let hostLine: [UInt8]
    /// The URI part's bytes as the request writer gives them.
    let uriPartBytes: [UInt8]?

    init(proxyHost: String, port: Int, uriPart: String?) {
        self.proxyHost = proxyHost
        self.port = port
        self.uriPart = uriPart
        var line = Array("Host: ".utf8)
        LogBytes.withBytes(proxyHost) { line.append(contentsOf: $0) }
        line.append(contentsOf: "\r\n".utf8)
        hostLine = line
        uriPartBytes = uriPart.map { u in LogBytes.withBytes(u) { Array($0) } }
    }
}
