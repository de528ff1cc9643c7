import NIOCore
import Testing

@testable import MoongateHTTP

/// The receive allocator of plain client connections with NIO's receive buffer pool (what
/// a socket channel reads through): every read goes into the worker's region, the pool
/// keeps no bytes of its own, and a read whose buffer someone kept goes elsewhere.
/// (Serialized: the region is per process, as a worker's is.)
@Suite(.serialized) struct ClientRecvBufferTests {
    /// One read as BaseStreamSocketChannel.readFromSocket makes it.
    func read(_ pool: inout NIOPooledRecvBufferAllocator, _ text: String) -> ByteBuffer {
        let (buffer, _) = pool.buffer(allocator: ByteBufferAllocator()) { buffer in
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { p in
                p.copyBytes(from: Array(text.utf8))
                return text.utf8.count
            }
        }
        pool.record(actualReadBytes: text.utf8.count)
        return buffer
    }

    @Test func readsGoIntoTheRegion() {
        var pool = NIOPooledRecvBufferAllocator(capacity: 4, recvAllocator: ClientRecvAllocator())
        var first = read(&pool, "GET / HTTP/1.1\r\n")
        #expect(ClientRecvBuffers.isRegion(first))
        #expect(first.capacity == ClientRecvBuffers.readSize)
        #expect(first.readString(length: first.readableBytes) == "GET / HTTP/1.1\r\n")
        #expect(!ClientRecvBuffers.regionArmed)
        first = ByteBuffer()
        for i in 0..<3 {
            var b = read(&pool, "read \(i)")
            #expect(ClientRecvBuffers.isRegion(b))
            #expect(b.readString(length: b.readableBytes) == "read \(i)")
        }
        #expect(pool.count == 1)
    }

    @Test func aKeptBufferIsNotWrittenOver() {
        var pool = NIOPooledRecvBufferAllocator(capacity: 4, recvAllocator: ClientRecvAllocator())
        let kept = read(&pool, "kept bytes")
        // The next read finds the pool's buffer shared: it reads into another.
        var next = read(&pool, "other")
        #expect(!ClientRecvBuffers.isRegion(next))
        #expect(next.readString(length: next.readableBytes) == "other")
        #expect(String(buffer: kept) == "kept bytes")
    }
}
