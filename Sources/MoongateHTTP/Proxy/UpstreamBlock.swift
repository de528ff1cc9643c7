import MoongateConfig
import MoongateCore

/// How an upstream picks a peer.
public enum UpstreamMethod {
    case roundRobin
    case ipHash
    case leastConn
    case hash(ComplexValue, consistent: Bool)
}

/// What `balancer_by_lua*` (or another module) decides for one try.
public protocol UpstreamBalancerHook: AnyObject {
    /// Runs synchronously for each try; fills `state.chosen` or leaves it nil to fall back
    /// to round robin. Returns nil on success or a status to fail the request with.
    func choosePeer(_ r: HTTPRequest, _ state: BalancerState) -> Int?
}

/// An `upstream NAME { }` block (or the implicit one of `proxy_pass http://ip:port`).
public final class UpstreamBlock {
    public let name: String
    public var location: SourceLocation?
    public var peers: [UpstreamPeer] = []
    public var method = UpstreamMethod.roundRobin
    /// `keepalive N`: idle connections cached per worker (0 = none).
    public var keepalive = 0
    public var keepaliveRequests = 1000
    public var keepaliveTimeout = 60_000
    /// A balancing method or `keepalive` was given (nginx's `peer.init_upstream` is set).
    var initUpstreamSet = false
    /// Set by balancer_by_lua.
    public var balancer: UpstreamBalancerHook?
    /// Whether it came from an `upstream` block (false for `proxy_pass http://1.2.3.4`).
    public let explicit: Bool
    /// The `ip:port` name of the peer balancer_by_lua set last (per worker): the same
    /// peer, request after request, reuses one string.
    /// Kept in fields of their own and compared in place (no copy of a cached tuple's
    /// strings per request); port -1 while none was set.
    var balancerPeerHost = ""
    var balancerPeerPort = -1
    var balancerPeerName = ""
    /// Per-worker pool of idle connections.
    /// (Not lazy: read twice per proxied request without a lazy getter's check.)
    let pool = UpstreamKeepalivePool()
    /// The points of `hash ... consistent`, built on first use in each worker.
    lazy var hashRing = UpstreamHashRing(peers: primary)

    public init(name: String, explicit: Bool, location: SourceLocation?) {
        self.name = name
        self.explicit = explicit
        self.location = location
    }

    var primary: [UpstreamPeer] { peers.filter { !$0.backup } }
    var backups: [UpstreamPeer] { peers.filter { $0.backup } }

    /// nginx starts with as many tries as there are primary peers.
    var initialTries: Int { max(1, primary.count) }
}

/// The upstreams of an `http` block, by name.
public final class UpstreamRegistry {
    public var blocks: [String: UpstreamBlock] = [:]
    /// Implicit blocks made by `proxy_pass` with a literal address, by `host:port`.
    var implicit: [String: UpstreamBlock] = [:]
    /// `proxy_pass` confs of this configuration, resolved in postconfiguration.
    var pendingPasses: [(ProxyLocConf, SourceLocation)] = []

    /// The registry of `http`, created on first use.
    public static func of(_ http: HTTPConfig) -> UpstreamRegistry {
        if let r = http.moduleConf["upstreams"] as? UpstreamRegistry { return r }
        let r = UpstreamRegistry()
        http.moduleConf["upstreams"] = r
        return r
    }

    /// An implicit single-peer block for a literal `host:port`.
    func implicitBlock(host: String, port: Int) -> UpstreamBlock {
        let key = "\(host):\(port)"
        if let b = implicit[key] { return b }
        let b = UpstreamBlock(name: key, explicit: false, location: nil)
        b.peers = [UpstreamPeer(host: host, port: port, weight: 1, maxFails: 1, failTimeout: 10_000, backup: false, down: false)]
        implicit[key] = b
        return b
    }
}
