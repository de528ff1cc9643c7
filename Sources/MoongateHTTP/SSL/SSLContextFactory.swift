import CMoongate
import MoongateConfig
import NIOCore
import NIOSSL

/// Makes BoringSSL contexts (through NIOSSL) from nginx-style settings, after checking
/// the files with OpenSSL so that a bad one is refused with nginx's own message.
public enum SSLContextFactory {
    /// nginx's ngx_ssl_shutdown sends close_notify and closes without waiting for the
    /// peer's: NIOSSL would wait up to 5 s for it, keeping the socket open.
    static let shutdownTimeout = TimeAmount.milliseconds(1)

    /// A server context for `conf`; contexts with the same settings are shared.
    static func serverContext(_ conf: ServerSSLConfig, cache: inout [String: NIOSSLContext]) throws -> NIOSSLContext {
        let cert = conf.certificate!
        guard let key = conf.certificateKey else {
            throw ConfigError(
                "no \"ssl_certificate_key\" is defined for certificate \"\(conf.certificateAsWritten ?? cert)\"",
                at: nil)
        }
        let protocols = conf.protocols ?? ServerSSLConfig.defaultProtocols
        let ciphers = conf.ciphers ?? ServerSSLConfig.defaultCiphers
        let cacheKey = [cert, key, protocols.joined(separator: " "), ciphers].joined(separator: "\n")
        if let c = cache[cacheKey] { return c }
        try check { mg_ssl_check_pem(cert, key, $0, $1) }
        try check { mg_ssl_check_ciphers(ciphers, $0, $1) }
        let chain: [NIOSSLCertificate]
        let pkey: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(cert)
            pkey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw ConfigError("cannot load certificate \"\(cert)\": \(error)", at: nil)
        }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(pkey))
        try applyProtocols(protocols, to: &tls)
        tls.shutdownTimeout = shutdownTimeout
        tls.cipherSuites = ciphers
        let ctx: NIOSSLContext
        do {
            ctx = try NIOSSLContext(configuration: tls)
        } catch {
            // A list OpenSSL takes but BoringSSL does not (OpenSSL-only aliases): BoringSSL's
            // default suites serve, as the TLS 1.3 ones always do.
            tls.cipherSuites = defaultCipherSuites
            ctx = try NIOSSLContext(configuration: tls)
        }
        cache[cacheKey] = ctx
        return ctx
    }

    /// `ssl_protocols` / `proxy_ssl_protocols` / cosocket defaults as a version range.
    public static func applyProtocols(_ protocols: [String], to tls: inout TLSConfiguration) throws {
        guard let (lo, hi) = TLSVersionName.range(protocols) else {
            throw ConfigError("no TLS protocol version enabled", at: nil)
        }
        tls.minimumTLSVersion = lo
        tls.maximumTLSVersion = hi
    }

    /// Runs an OpenSSL check that fills an error buffer.
    public static func check(_ f: (UnsafeMutablePointer<CChar>, Int) -> Int32) throws {
        var buf = [CChar](repeating: 0, count: 4096)
        if f(&buf, buf.count) != 0 {
            throw ConfigError(String(cString: buf), at: nil)
        }
    }
}
