import MoongateConfig
import MoongateCore

/// A `listen` directive.
public struct ListenConfig: Hashable {
    public var host: String  // "*" for all addresses
    public var port: Int
    public var defaultServer: Bool
    public var reuseport: Bool
    public var backlog: Int
    /// `ssl`: connections speak TLS (set on the group when any server's listen says so).
    public var ssl = false
    /// `host:port` key used to group servers that share a socket.
    public var key: String { "\(host):\(port)" }
}

/// A `server { }` block.
public final class ServerConfig {
    public var names: [String] = []
    public var regexNames: [Regex] = []
    public var listens: [ListenConfig] = []
    /// The server level settings; also the root of the location tree.
    public let serverLevel: LocationConfig
    public var headerLimits = HeaderLimits()
    public var clientHeaderTimeout = 60_000
    /// `merge_slashes`.
    public var mergeSlashes = true
    /// Server-level directives this server set itself (http-level defaults skip them).
    var explicitSettings: Set<String> = []
    /// Handlers of the server-rewrite phase registered by modules (server_rewrite_by_lua).
    public var serverRewriteHandlers: [PhaseHandler] = []
    /// The `ssl_*` settings (ngx_http_ssl_module).
    public let ssl = ServerSSLConfig()
    public var location: SourceLocation

    public init(location: SourceLocation, httpLevel: LocationConfig) {
        self.location = location
        self.serverLevel = LocationConfig(match: .server, location: location, parent: httpLevel)
    }

    /// The first name (`$server_name`), "" when none.
    public var primaryName: String { names.first ?? "" }
}

/// The servers that share one listening address, with nginx's server_name selection.
public final class ListenGroup {
    public internal(set) var listen: ListenConfig
    public var servers: [ServerConfig] = []
    public var defaultServer: ServerConfig

    init(listen: ListenConfig, first: ServerConfig) {
        self.listen = listen
        self.defaultServer = first
        self.servers = [first]
    }

    /// Exact name, then leading wildcard (longest), then trailing wildcard, then regex in
    /// order, else the default server.
    public func findServer(host: String?) -> ServerConfig {
        // One server on the address: it is the default, whatever the name.
        if servers.count == 1 { return defaultServer }
        guard let host, !host.isEmpty else { return defaultServer }
        for s in servers where s.names.contains(host) { return s }
        var best: ServerConfig? = nil
        var bestLen = 0
        for s in servers {
            for n in s.names where n.hasPrefix("*.") || n.hasPrefix(".") {
                let suffix = n.hasPrefix("*.") ? String(n.dropFirst(1)) : n
                let matches = host.hasSuffix(suffix) || (n.hasPrefix(".") && host == String(n.dropFirst()))
                if matches && suffix.count > bestLen {
                    best = s
                    bestLen = suffix.count
                }
            }
        }
        if let best { return best }
        for s in servers {
            for n in s.names where n.hasSuffix(".*") {
                if host.hasPrefix(String(n.dropLast(1))) { return s }
            }
        }
        for s in servers {
            for re in s.regexNames where re.matches(host) { return s }
        }
        return defaultServer
    }

    /// The regex `server_name` of `server` that matches `host`, for its captures.
    public func matchingRegex(of server: ServerConfig, host: String?) -> (Regex, [Range<Int>?])? {
        guard let host, !host.isEmpty, !server.regexNames.isEmpty, !server.names.contains(host) else { return nil }
        for re in server.regexNames {
            if let m = re.match(host) { return (re, m) }
        }
        return nil
    }
}

/// The `http { }` block.
public final class HTTPConfig {
    public let httpLevel: LocationConfig
    public var servers: [ServerConfig] = []
    public var listenGroups: [ListenGroup] = []
    public var logFormats: [String: LogFormat] = [:]
    /// Server-level settings written at the http level, by directive name.
    var serverDefaults: [String: (ServerConfig) -> Void] = [:]
    /// Per-module http-level settings.
    public var moduleConf: [String: AnyObject] = [:]

    public init(location: SourceLocation?) {
        httpLevel = LocationConfig(match: .http, location: location, parent: nil)
        logFormats["combined"] = try! LogFormat(
            "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\"")
    }

    /// Groups servers by listening address (after all servers are read).
    func buildListenGroups() {
        var groups: [String: ListenGroup] = [:]
        var order: [String] = []
        for s in servers {
            for l in s.listens {
                if let g = groups[l.key] {
                    g.servers.append(s)
                    // nginx ORs `ssl` over the listens of one address.
                    if l.ssl { g.listen.ssl = true }
                    if l.defaultServer { g.defaultServer = s }
                } else {
                    groups[l.key] = ListenGroup(listen: l, first: s)
                    order.append(l.key)
                }
            }
        }
        listenGroups = order.map { groups[$0]! }
    }
}
