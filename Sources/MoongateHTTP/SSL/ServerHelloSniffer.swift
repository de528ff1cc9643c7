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
        done = true
        seen = ByteBuffer()
    }

    /// (cipher, version) of a complete ServerHello at the start of `b`.
    static func parse(_ b: ByteBuffer) -> (cipher: UInt16, version: UInt16)? {
        var r = b
        guard r.readInteger(as: UInt8.self) == 0x16, r.readInteger(as: UInt16.self) != nil,
            let recLen = r.readInteger(as: UInt16.self), r.readableBytes >= Int(recLen),
            r.readInteger(as: UInt8.self) == 2, r.readInteger(as: UInt8.self) != nil,
            r.readInteger(as: UInt16.self) != nil, var version = r.readInteger(as: UInt16.self),
            r.readBytes(length: 32) != nil, let sidLen = r.readInteger(as: UInt8.self),
            r.readBytes(length: Int(sidLen)) != nil, let cipher = r.readInteger(as: UInt16.self),
            r.readInteger(as: UInt8.self) != nil
        else { return nil }
        if var extLen = r.readInteger(as: UInt16.self) {
            while extLen >= 4, let type = r.readInteger(as: UInt16.self), let len = r.readInteger(as: UInt16.self) {
                extLen -= min(extLen, 4 + len)
                if type == 43, len == 2, let v = r.readInteger(as: UInt16.self) {
                    version = v
                } else if r.readBytes(length: Int(len)) == nil {
                    break
                }
            }
        }
        return (cipher, version)
    }
}
