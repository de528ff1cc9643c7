import CMoongate
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Client-side TLS as nginx's upstream and cosocket connections do it, on OpenSSL
/// (OpenSSLClientHandler): the handshake
/// never fails on the peer's certificate; the chain is kept and verified afterwards with
/// OpenSSL against the trusted file, so the error reads as ngx_lua's
/// ("20: unable to get local issuer certificate", "certificate host mismatch").
public enum TLSClient {
    /// Client settings: `lua_ssl_protocols`/`proxy_ssl_protocols` and ciphers.
    public struct Settings: Hashable {
        public var protocols: [String]
        public var ciphers: String

        public init(protocols: [String]? = nil, ciphers: String? = nil) {
            self.protocols = protocols ?? ServerSSLConfig.defaultProtocols
            self.ciphers = ciphers ?? "DEFAULT"
        }
    }

    nonisolated(unsafe) private static var contexts: [Settings: OpaquePointer] = [:]

    /// One OpenSSL client context per settings (per worker).
    static func context(_ s: Settings) throws -> OpaquePointer {
        if let c = contexts[s] { return c }
        var bits: Int32 = 0
        for p in s.protocols {
            switch p {
            case "SSLv2": bits |= Int32(MG_TLS_SSLv2)
            case "SSLv3": bits |= Int32(MG_TLS_SSLv3)
            case "TLSv1": bits |= Int32(MG_TLS_TLSv1)
            case "TLSv1.1": bits |= Int32(MG_TLS_TLSv1_1)
            case "TLSv1.2": bits |= Int32(MG_TLS_TLSv1_2)
            case "TLSv1.3": bits |= Int32(MG_TLS_TLSv1_3)
            default: break
            }
        }
        var err = [CChar](repeating: 0, count: 1024)
        guard let raw = mg_tls_ctx_new(bits, s.ciphers, &err, err.count) else {
            throw TLSClientError(message: String(cString: err))
        }
        let ctx = OpaquePointer(raw)
        contexts[s] = ctx
        return ctx
    }

    /// A client handler for `serverName` (sent as SNI unless it is an IP address) whose
    /// peer chain lands in `info`; `session` (an SSL_SESSION, still the caller's) is
    /// offered for resumption; `statusRequest` asks for OCSP stapling.
    static func handler(
        settings: Settings, serverName: String?, info: TLSSessionInfo, session: UnsafeMutableRawPointer? = nil,
        statusRequest: Bool = false
    ) throws -> OpenSSLClientHandler {
        let ctx = try context(settings)
        var sni = serverName.flatMap { $0.isEmpty ? nil : $0 }
        if let s = sni, isIPAddress(s) { sni = nil }
        info.serverName = serverName
        guard let c = mg_tls_client_new(UnsafeMutableRawPointer(ctx), sni, session, statusRequest ? 1 : 0) else {
            throw TLSClientError(message: "failed to create ssl connection")
        }
        let h = OpenSSLClientHandler(client: c, info: info)
        info.client = h
        return h
    }

    /// Adds TLS to a connected client channel (on its event loop) before `before`;
    /// `onSession` gets each session the peer sends (nginx's save_session).
    public static func add(
        to channel: Channel, before: ChannelHandler, settings: Settings, serverName: String?, info: TLSSessionInfo,
        session: UnsafeMutableRawPointer? = nil, statusRequest: Bool = false,
        onSession: ((UnsafeMutableRawPointer) -> Void)? = nil
    ) throws {
        let h = try handler(
            settings: settings, serverName: serverName, info: info, session: session, statusRequest: statusRequest)
        h.onSession = onSession
        try channel.pipeline.syncOperations.addHandler(h, position: .before(before))
    }

    /// Checks the peer chain kept in `info`: nil when trusted (and matching `host` when
    /// given), else ngx_lua's error ("N: text" or "certificate host mismatch").
    public static func verify(_ info: TLSSessionInfo, trusted: String?, depth: Int, host: String?) -> String? {
        let chain = info.peerChain
        var err = [CChar](repeating: 0, count: 512)
        var ptrs: [UnsafePointer<UInt8>?] = []
        var lens: [Int] = chain.map(\.count)
        let buffers = chain.map { bytes -> UnsafeMutablePointer<UInt8> in
            let p = UnsafeMutablePointer<UInt8>.allocate(capacity: max(bytes.count, 1))
            p.initialize(from: bytes, count: bytes.count)
            return p
        }
        defer { for b in buffers { b.deallocate() } }
        ptrs = buffers.map { UnsafePointer($0) }
        let h = host ?? ""
        let rc = ptrs.withUnsafeBufferPointer { pp in
            lens.withUnsafeMutableBufferPointer { lp in
                mg_ssl_verify_chain(
                    pp.baseAddress, lp.baseAddress, Int32(chain.count), trusted, Int32(depth), h, h.utf8.count,
                    &err, err.count)
            }
        }
        switch rc {
        case 0: return nil
        case 2: return "certificate host mismatch"
        default: return String(cString: err)
        }
    }

    /// nginx's log line for a handshake that failed with `e` ("SSL_do_handshake()
    /// failed (SSL: error:...)"); nil: the peer closed the connection.
    public static func handshakeFailure(_ e: Error?) -> String {
        if let t = e as? TLSClientError { return t.message }
        if let e { return "SSL_do_handshake() failed (SSL: \(e))" }
        return "peer closed connection in SSL handshake"
    }

    /// OpenSSL-style text of a NIOSSL error ("error:100000f7:SSL routines:...").
    public static func errorText(_ e: Error) -> String {
        let s = Array("\(e)".utf8)
        let needle = Array("error:".utf8)
        guard s.count >= needle.count else { return "\(e)" }
        for i in 0...(s.count - needle.count) where Array(s[i..<(i + needle.count)]) == needle {
            var j = i
            while j < s.count && s[j] != UInt8(ascii: "]") && s[j] != UInt8(ascii: ")") {
                // BoringSSL appends " at FILE:LINE".
                if s[j] == UInt8(ascii: " ") && j + 3 < s.count && s[j + 1] == UInt8(ascii: "a")
                    && s[j + 2] == UInt8(ascii: "t") && s[j + 3] == UInt8(ascii: " ")
                {
                    break
                }
                j += 1
            }
            return String(decoding: s[i..<j], as: UTF8.self)
        }
        return "\(e)"
    }

    static func isIPAddress(_ s: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, s, &v4) == 1 || inet_pton(AF_INET6, s, &v6) == 1
    }
}
