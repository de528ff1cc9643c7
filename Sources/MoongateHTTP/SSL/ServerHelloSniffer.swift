import NIOCore

/// Reads the cipher suite and version out of the ServerHello (sent in clear in every TLS
/// version) as it passes: NIOSSL does not tell the negotiated cipher. It sits on the
/// network side of the TLS handler, outbound for a server and inbound for a client,
/// and steps aside after the first handshake record.
final class ServerHelloSniffer: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    let info: TLSSessionInfo
    let outbound: Bool
    private var seen = ByteBuffer()
    private var done = false

    init(info: TLSSessionInfo, outbound: Bool) {
        self.info = info
        self.outbound = outbound
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !outbound && !done {
            var b = unwrapInboundIn(data)
            look(&b)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if outbound && !done, case .byteBuffer(var b) = unwrapOutboundIn(data) {
            look(&b)
        }
        context.write(data, promise: promise)
    }

    private func look(_ b: inout ByteBuffer) {
        if seen.readableBytes < 16384 { seen.writeBuffer(&b) }
        guard let hello = ServerHelloSniffer.parse(seen) else {
            if seen.readableBytes >= 5, seen.getInteger(at: seen.readerIndex, as: UInt8.self) != 0x16 { done = true }
            return
        }
        info.cipherID = hello.cipher
        info.versionID = hello.version
        // Resumed: a TLS 1.3 pre_shared_key, or (TLS 1.2 and older) the client's
        // session id echoed back; a TLS 1.3 server always echoes the client's
        // legacy_session_id, so there only the key counts.
        if hello.version >= 0x0304 {
            info.resumed = hello.psk
        } else {
            info.resumed = !hello.sessionID.isEmpty && hello.sessionID == info.clientSessionID
        }
        done = true
        seen = ByteBuffer()
    }

    /// A complete ServerHello at the start of `b`: cipher, version (supported_versions
    /// for TLS 1.3), session id, and whether it carries a pre_shared_key.
    static func parse(_ b: ByteBuffer) -> (cipher: UInt16, version: UInt16, sessionID: [UInt8], psk: Bool)? {
        var r = b
        guard r.readInteger(as: UInt8.self) == 0x16, r.readInteger(as: UInt16.self) != nil,
            let recLen = r.readInteger(as: UInt16.self), r.readableBytes >= Int(recLen),
            r.readInteger(as: UInt8.self) == 2, r.readInteger(as: UInt8.self) != nil,
            r.readInteger(as: UInt16.self) != nil, var version = r.readInteger(as: UInt16.self),
            r.readBytes(length: 32) != nil, let sidLen = r.readInteger(as: UInt8.self),
            let sid = r.readBytes(length: Int(sidLen)), let cipher = r.readInteger(as: UInt16.self),
            r.readInteger(as: UInt8.self) != nil
        else { return nil }
        var psk = false
        if var extLen = r.readInteger(as: UInt16.self) {
            while extLen >= 4, let type = r.readInteger(as: UInt16.self), let len = r.readInteger(as: UInt16.self) {
                extLen -= min(extLen, 4 + len)
                if type == 41 { psk = true }
                if type == 43, len == 2, let v = r.readInteger(as: UInt16.self) {
                    version = v
                } else if r.readBytes(length: Int(len)) == nil {
                    break
                }
            }
        }
        return (cipher, version, sid, psk)
    }

    /// The session id of a ClientHello at the start of `b` (empty when none or cut short).
    static func clientSessionID(_ b: ByteBuffer) -> [UInt8] {
        var r = b
        guard r.readInteger(as: UInt8.self) == 0x16, r.readBytes(length: 4) != nil,
            r.readInteger(as: UInt8.self) == 1, r.readBytes(length: 3 + 2 + 32) != nil,
            let n = r.readInteger(as: UInt8.self), let sid = r.readBytes(length: Int(n))
        else { return [] }
        return sid
    }
}
