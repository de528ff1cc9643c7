import NIOCore
import NIOEmbedded
import NIOSSL
import Testing
import CMoongate

@testable import MoongateHTTP

private let certDir: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/") + "/t/cert/"
}()

/// A server and a client channel with TLS, bytes moved between them by hand.
private final class Pair {
    let server = EmbeddedChannel()
    let client = EmbeddedChannel()
    let serverInfo = TLSSessionInfo()
    let clientInfo = TLSSessionInfo()

    init(
        cert: String = "server", sni: String?, context: NIOSSLContext? = nil,
        settings: TLSClient.Settings = TLSClient.Settings(), session: UnsafeMutableRawPointer? = nil
    ) throws {
        let ctx = try context ?? Pair.serverContext(cert: cert)
        try server.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: ctx))
        try server.pipeline.syncOperations.addHandler(
            ServerHelloSniffer(info: serverInfo, outbound: true), position: .first)
        let tail = Tail()
        try client.pipeline.syncOperations.addHandler(tail)
        try TLSClient.add(
            to: client, before: tail, settings: settings, serverName: sni, info: clientInfo, session: session)
        client.pipeline.fireChannelActive()
        server.pipeline.fireChannelActive()
    }

    static func serverContext(cert: String = "server") throws -> NIOSSLContext {
        let conf = ServerSSLConfig()
        conf.certificate = certDir + cert + ".crt"
        conf.certificateKey = certDir + cert + ".key"
        conf.protocols = ["TLSv1.2", "TLSv1.3"]
        var cache: [String: NIOSSLContext] = [:]
        return try SSLContextFactory.serverContext(conf, cache: &cache)
    }

    /// Moves bytes both ways until nothing is left to move.
    func run() throws {
        for _ in 0..<20 {
            var moved = false
            while let b = try client.readOutbound(as: ByteBuffer.self) {
                try server.writeInbound(b)
                moved = true
            }
            while let b = try server.readOutbound(as: ByteBuffer.self) {
                try client.writeInbound(b)
                moved = true
            }
            if !moved { return }
        }
    }

    final class Tail: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
    }
}

@Suite struct TLSTests {
    @Test func handshakeReadsCipherAndVerifiesChain() throws {
        let p = try Pair(sni: "test.com")
        try p.run()
        #expect(p.clientInfo.cipherName != nil)
        #expect(p.serverInfo.cipherName == p.clientInfo.cipherName)
        #expect(p.clientInfo.protocolName == "TLSv1.2" || p.clientInfo.protocolName == "TLSv1.3")
        #expect(p.clientInfo.peerChain.count >= 1)
        let ca = certDir + "ca.crt"
        #expect(TLSClient.verify(p.clientInfo, trusted: ca, depth: 1, host: "test.com") == nil)
        #expect(TLSClient.verify(p.clientInfo, trusted: ca, depth: 1, host: "other.com") == "certificate host mismatch")
        #expect(
            TLSClient.verify(p.clientInfo, trusted: nil, depth: 1, host: nil)
                == "20: unable to get local issuer certificate")
    }

    @Test(arguments: ["TLSv1.2", "TLSv1.3"])
    func sessionResumes(version: String) throws {
        let ctx = try Pair.serverContext()
        let settings = TLSClient.Settings(protocols: [version])
        let first = try Pair(sni: "test.com", context: ctx, settings: settings)
        try first.run()
        #expect(first.clientInfo.protocolName == version)
        #expect(!first.clientInfo.resumed && !first.serverInfo.resumed)
        // BoringSSL sends its TLS 1.3 tickets along with its first write.
        try first.server.writeAndFlush(ByteBuffer(string: "hello")).wait()
        try first.run()
        let sess = try #require(first.clientInfo.clientSession())
        defer { mg_tls_session_free(sess) }
        #expect(mg_tls_session_resumable(sess) == 1)
        let second = try Pair(sni: "test.com", context: ctx, settings: settings, session: sess)
        try second.run()
        // (The server's sniffer knows the client's session id only behind TLSServerSniffer.)
        #expect(second.clientInfo.resumed)
        if version == "TLSv1.3" { #expect(second.serverInfo.resumed) }
        // The chain comes with the resumed session, so it can still be verified.
        #expect(TLSClient.verify(second.clientInfo, trusted: certDir + "ca.crt", depth: 1, host: "test.com") == nil)
        // Application data goes through both ways.
        try second.client.writeAndFlush(ByteBuffer(string: "ping")).wait()
        try second.run()
        #expect(try second.server.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "ping"))
        // A server that never issued it makes a full handshake.
        let other = try Pair(sni: "test.com", settings: settings, session: sess)
        try other.run()
        #expect(!other.clientInfo.resumed && other.clientInfo.handshakeDone)
    }

    @Test func handshakeFailureReadsAsOpenSSL() throws {
        let client = EmbeddedChannel()
        let info = TLSSessionInfo()
        let tail = Pair.Tail()
        try client.pipeline.syncOperations.addHandler(tail)
        try TLSClient.add(to: client, before: tail, settings: TLSClient.Settings(), serverName: nil, info: info)
        client.pipeline.fireChannelActive()
        _ = try client.readOutbound(as: ByteBuffer.self)
        #expect(throws: TLSClientError.self) {
            try client.writeInbound(ByteBuffer(string: "HTTP/1.1 400 Bad Request\r\n\r\n"))
        }
        #expect(!info.handshakeDone)
    }

    @Test func selfSignedIsRefused() throws {
        let p = try Pair(cert: "self", sni: nil)
        try p.run()
        #expect(
            TLSClient.verify(p.clientInfo, trusted: certDir + "ca.crt", depth: 1, host: nil)
                == "18: self-signed certificate")
    }

    @Test func serverHelloParse() {
        var b = ByteBuffer()
        // A TLS 1.2 record holding a ServerHello with cipher 0xC02F and supported_versions 1.3.
        var body = ByteBuffer()
        body.writeInteger(UInt16(0x0303))
        body.writeBytes([UInt8](repeating: 7, count: 32))
        body.writeInteger(UInt8(0))
        body.writeInteger(UInt16(0x1301))
        body.writeInteger(UInt8(0))
        body.writeInteger(UInt16(6))
        body.writeInteger(UInt16(43))
        body.writeInteger(UInt16(2))
        body.writeInteger(UInt16(0x0304))
        b.writeInteger(UInt8(0x16))
        b.writeInteger(UInt16(0x0303))
        b.writeInteger(UInt16(body.readableBytes + 4))
        b.writeInteger(UInt8(2))
        b.writeInteger(UInt8(0))
        b.writeInteger(UInt16(body.readableBytes))
        b.writeBuffer(&body)
        let r = ServerHelloSniffer.parse(b)
        #expect(r?.cipher == 0x1301)
        #expect(r?.version == 0x0304)
        #expect(r?.sessionID == [] && r?.psk == false)
        var hello = ByteBuffer(bytes: [0x16, 3, 1, 0, 80, 1, 0, 0, 76, 3, 3])
        hello.writeBytes([UInt8](repeating: 1, count: 32))
        hello.writeBytes([4, 9, 8, 7, 6])
        #expect(ServerHelloSniffer.clientSessionID(hello) == [9, 8, 7, 6])
        #expect(ServerHelloSniffer.clientSessionID(ByteBuffer(bytes: [0x16, 3, 1])) == [])
        #expect(ServerHelloSniffer.parse(ByteBuffer(bytes: [0x16, 3, 3])) == nil)
    }

    @Test func names() {
        let i = TLSSessionInfo()
        i.cipherID = 0xC02F
        i.versionID = 0x0303
        #expect(i.cipherName == "ECDHE-RSA-AES128-GCM-SHA256")
        #expect(i.protocolName == "TLSv1.2")
        i.cipherID = 0x1234
        #expect(i.cipherName == "0x1234")
        #expect(TLSVersionName.range(["SSLv3", "TLSv1.2", "TLSv1.3"])! == (.tlsv12, .tlsv13))
        #expect(TLSVersionName.range(["SSLv3"]) == nil)
    }

    @Test func sessionCacheSyntax() {
        for ok in ["off", "none", "builtin", "builtin:1000", "shared:SSL:10m"] {
            #expect(SSLDirectives.validSessionCache(ok))
        }
        for bad in ["foo", "builtin:x", "shared:SSL", "shared::1m", "shared:SSL:x"] {
            #expect(!SSLDirectives.validSessionCache(bad))
        }
    }

    @Test func httpsURLs() {
        let u = ProxyURL.parse("https://example.com/x")
        #expect(u?.ssl == true && u?.port == 443 && u?.portGiven == false && u?.uri == "/x")
        let v = ProxyURL.parse("http://example.com:8080")
        #expect(v?.ssl == false && v?.port == 8080)
        #expect("a: b: c".replacingFirst(": ", with: ":") == "a:b: c")
    }
}
