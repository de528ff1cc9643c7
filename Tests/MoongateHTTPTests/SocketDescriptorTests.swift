import Glibc
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing

@testable import MoongateHTTP

/// HTTPConnection.socketDescriptor gives the direct-send paths (responses, cosockets,
/// upstream requests) the descriptor under a plain socket channel.
@Suite struct SocketDescriptorTests {
    /// The local port of a descriptor, from getsockname(2).
    func localPort(_ fd: CInt) -> Int? {
        var sin = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard rc == 0, sin.sin_family == sa_family_t(AF_INET) else { return nil }
        return Int(UInt16(bigEndian: sin.sin_port))
    }

    @Test func theDescriptorOfAConnectedChannelIsItsSocket() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let server = try ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).wait()
        defer { try? server.close().wait() }
        let client = try ClientBootstrap(group: group).connect(to: server.localAddress!).wait()
        defer { try? client.close().wait() }

        let (fd, port) = try client.eventLoop.submit {
            (HTTPConnection.socketDescriptor(client), client.localAddress?.port)
        }.wait()
        #expect(fd >= 0)
        #expect(localPort(fd) == port)
        // The listening channel is a socket channel too.
        let listenFD = try server.eventLoop.submit { HTTPConnection.socketDescriptor(server) }.wait()
        #expect(listenFD >= 0 && listenFD != fd)
        #expect(localPort(listenFD) == server.localAddress?.port)
    }

    @Test func aClosedChannelOrOneWithoutASocketHasNone() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let server = try ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).wait()
        let loop = server.eventLoop
        try server.close().wait()
        #expect(try loop.submit { HTTPConnection.socketDescriptor(server) }.wait() == -1)

        let embedded = EmbeddedChannel()
        #expect(HTTPConnection.socketDescriptor(embedded) == -1)
        _ = try? embedded.finish()
    }
}
