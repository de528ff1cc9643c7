import MoongateConfig
import NIOSSL

/// The `ssl_*` settings of one server (nginx's `ngx_http_ssl_srv_conf_t`); unset values
/// are inherited from the http level.
public final class ServerSSLConfig {
    /// `ssl_certificate` (absolute path) and where it was written.
    public var certificate: String?
    public var certificateLocation: SourceLocation?
    /// `ssl_certificate` as written (nginx names it so when the key is missing).
    public var certificateAsWritten: String?
    /// `ssl_certificate_key` (absolute path).
    public var certificateKey: String?
    /// `ssl_protocols`: "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3" (SSLv2/SSLv3 are accepted
    /// and never negotiated).
    public var protocols: [String]?
    /// `ssl_ciphers` (OpenSSL cipher list syntax).
    public var ciphers: String?
    /// `ssl_prefer_server_ciphers`.
    public var preferServerCiphers: Bool?
    /// `ssl_session_cache`, `ssl_session_timeout`, `ssl_session_tickets`: accepted; BoringSSL
    /// keeps its own per-context session cache and tickets.
    public var sessionCache: String?
    public var sessionTimeoutMsec: Int?
    public var sessionTickets: Bool?
    /// `ssl_reject_handshake`: a TLS handshake that picks this server is refused.
    public var rejectHandshake: Bool?
    /// `ssl on` (deprecated in nginx: the server's listens speak TLS).
    public var enabled = false {
        didSet { enabledSet = true }
    }
    var enabledSet = false
    /// The TLS context made from the settings above (servers with a certificate only).
    public var context: NIOSSLContext?

    public init() {}

    /// Takes what this level left unset from `parent`.
    func merge(from parent: ServerSSLConfig) {
        if certificate == nil {
            certificate = parent.certificate
            certificateLocation = parent.certificateLocation
            certificateAsWritten = parent.certificateAsWritten
        }
        if certificateKey == nil { certificateKey = parent.certificateKey }
        protocols = protocols ?? parent.protocols
        ciphers = ciphers ?? parent.ciphers
        preferServerCiphers = preferServerCiphers ?? parent.preferServerCiphers
        sessionCache = sessionCache ?? parent.sessionCache
        sessionTimeoutMsec = sessionTimeoutMsec ?? parent.sessionTimeoutMsec
        sessionTickets = sessionTickets ?? parent.sessionTickets
        rejectHandshake = rejectHandshake ?? parent.rejectHandshake
    }

    /// nginx 1.22's defaults (TLSv1.3 joined the default protocols in 1.23.4).
    static let defaultProtocols = ["TLSv1", "TLSv1.1", "TLSv1.2"]
    static let defaultCiphers = "HIGH:!aNULL:!MD5"
}
