import NIOSSL

/// What a TLS connection negotiated, for `$ssl_protocol`, `$ssl_cipher`,
/// `$ssl_server_name` (server side) and the cosocket/proxy sessions (client side).
public final class TLSSessionInfo {
    /// The SNI name the client sent (server side) or asked for (client side).
    public var serverName: String?
    /// The cipher suite id from the ServerHello.
    public var cipherID: UInt16?
    /// The protocol version from the ServerHello (its supported_versions for TLS 1.3).
    public var versionID: UInt16?
    /// The peer's certificates (DER, leaf first), kept for verification (client side).
    public var peerChain: [[UInt8]] = []
    weak var handler: NIOSSLHandler?
    /// The client connection (OpenSSL) and what it negotiated.
    weak var client: OpenSSLClientHandler?
    var clientProtocol: String?
    var clientCipher: String?
    /// The session id of the client's hello (server side) and whether the server
    /// resumed a session (`$ssl_session_reused`).
    public var clientSessionID: [UInt8] = []
    public var resumed = false
    /// The handshake completed.
    public var handshakeDone = false

    public init() {}

    /// The session of a client connection to resume with later (a reference the
    /// caller frees with mg_tls_session_free), or nil.
    public func clientSession() -> UnsafeMutableRawPointer? { client?.session() }

    /// OpenSSL's name of the protocol version ("TLSv1.3").
    public var protocolName: String? {
        if let p = clientProtocol { return p }
        if let v = handler?.tlsVersion { return TLSVersionName.name(v) }
        switch versionID {
        case 0x0301: return "TLSv1"
        case 0x0302: return "TLSv1.1"
        case 0x0303: return "TLSv1.2"
        case 0x0304: return "TLSv1.3"
        default: return nil
        }
    }

    /// OpenSSL's name of the cipher suite ("TLS_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256").
    public var cipherName: String? {
        if let c = clientCipher { return c }
        guard let id = cipherID else { return nil }
        return TLSSessionInfo.cipherNames[id] ?? "0x" + String(id, radix: 16, uppercase: true)
    }

    static let cipherNames: [UInt16: String] = [
        0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384",
        0x1303: "TLS_CHACHA20_POLY1305_SHA256",
        0xC02F: "ECDHE-RSA-AES128-GCM-SHA256", 0xC030: "ECDHE-RSA-AES256-GCM-SHA384",
        0xC02B: "ECDHE-ECDSA-AES128-GCM-SHA256", 0xC02C: "ECDHE-ECDSA-AES256-GCM-SHA384",
        0xCCA8: "ECDHE-RSA-CHACHA20-POLY1305", 0xCCA9: "ECDHE-ECDSA-CHACHA20-POLY1305",
        0xC013: "ECDHE-RSA-AES128-SHA", 0xC014: "ECDHE-RSA-AES256-SHA",
        0xC009: "ECDHE-ECDSA-AES128-SHA", 0xC00A: "ECDHE-ECDSA-AES256-SHA",
        0x009C: "AES128-GCM-SHA256", 0x009D: "AES256-GCM-SHA384",
        0x002F: "AES128-SHA", 0x0035: "AES256-SHA",
    ]
}
