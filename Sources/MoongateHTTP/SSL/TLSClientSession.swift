import CMoongate

/// An OpenSSL client session (SSL_SESSION) held by reference: freed with the last owner.
public final class TLSClientSession {
    /// The SSL_SESSION.
    public let pointer: UnsafeMutableRawPointer

    /// Takes over one reference to `pointer`.
    public init(taking pointer: UnsafeMutableRawPointer) { self.pointer = pointer }

    deinit { mg_tls_session_free(pointer) }

    nonisolated(unsafe) private static var upstream: [String: TLSClientSession] = [:]
    private static let maxSaved = 4096

    /// The session saved for an upstream peer and TLS name (nginx keeps one per peer:
    /// ngx_http_upstream_set_round_robin_peer_session), per worker.
    static func saved(for key: String) -> TLSClientSession? { upstream[key] }

    /// Saves the session the peer sent last (nginx's ngx_http_upstream_ssl_save_session).
    static func save(_ s: UnsafeMutableRawPointer, for key: String) {
        // proxy_pass with variables can name any number of peers: keep the cache
        // bounded (nginx keeps those sessions only for the request).
        if upstream[key] == nil, upstream.count >= maxSaved { upstream.removeAll() }
        upstream[key] = TLSClientSession(taking: s)
    }
}
