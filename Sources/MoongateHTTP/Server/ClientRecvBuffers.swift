@_spi(CustomByteBufferAllocator) import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The receive buffer of plain (not TLS) client connections: one per worker, none kept
/// per connection.
///
/// NIO's channel keeps the buffer of its first read for its whole life (its receive
/// buffer pool stores the first buffer it is given and never lets it go) and reads into
/// it again while nobody else holds it: with NIO's allocators every idle keep-alive
/// connection held a buffer of at least 512 bytes. nginx reads a head into a buffer it
/// frees when the connection goes idle. Here the buffer a connection's channel keeps is
/// a storage object whose bytes are the worker's `region`, which it does not own (its
/// allocator's deallocate leaves the region alone): every read of every plain connection
/// goes into the region, and an idle connection holds the storage object alone.
///
/// This relies on `HTTPConnection` consuming or copying a read's bytes within its
/// `channelRead`, never keeping the buffer nor a slice of it (a raw reader, which may
/// keep what it is given, gets a copy; the buffered bytes it takes are a copy): the next
/// read of any connection writes the region over. Were a read's buffer kept anyway, the
/// channel's next read would find it shared and read into a buffer of its own, as NIO's
/// pool does, not into the region.
///
/// One event loop per worker process serves HTTP (as `ConnectionRegistry`): the region
/// is that loop's.
enum ClientRecvBuffers {
    /// Bytes of one read: a request head (nginx: 1k, then up to 4 x 8k) or body piece.
    static let readSize = 64 * 1024

    nonisolated(unsafe) static let region: UnsafeMutableRawPointer = {
        let p = UnsafeMutableRawPointer.allocate(byteCount: readSize, alignment: 16)
        p.bindMemory(to: UInt8.self, capacity: readSize)
        return p
    }()

    /// Set while a first read's buffer is out: NIO copies it once before the read (the
    /// pool's copy is written while the one it was given is still alive), and that copy
    /// is to use the region too. Cleared when the read is recorded.
    nonisolated(unsafe) static var regionArmed = false

    /// The allocator of region buffers: the region for the first read's copy, ordinary
    /// malloc for anything else (a new buffer for a read whose last buffer was kept, a
    /// copy someone writes to), and never frees the region.
    static let regionAllocator = ByteBufferAllocator(
        allocate: { size in
            if ClientRecvBuffers.regionArmed && Int(size) == ClientRecvBuffers.readSize {
                ClientRecvBuffers.regionArmed = false
                return ClientRecvBuffers.region
            }
            return malloc(size)
        },
        reallocate: { ptr, oldSize, newSize in
            if let p = ptr, p == ClientRecvBuffers.region {
                guard let n = malloc(newSize) else { return nil }
                memcpy(n, p, min(oldSize, newSize))
                return n
            }
            return realloc(ptr, newSize)
        },
        deallocate: { ptr in
            if ptr != ClientRecvBuffers.region { free(ptr) }
        },
        copy: { dst, src, count in
            if dst != UnsafeMutableRawPointer(mutating: src) { memcpy(dst, src, count) }
        })

    /// The buffer of a connection's first read (empty, the region's size).
    static func firstReadBuffer() -> ByteBuffer {
        regionArmed = true
        return ByteBuffer(
            takingOwnershipOf: UnsafeMutableRawBufferPointer(start: region, count: readSize),
            allocator: regionAllocator, readerIndex: 0, writerIndex: 0)
    }

    /// Whether `b` is the region's (a buffer to copy before keeping it).
    @inline(__always)
    static func isRegion(_ b: ByteBuffer) -> Bool {
        b.withVeryUnsafeBytes({ $0.baseAddress }) == UnsafeRawPointer(region)
    }
}

/// The receive allocator of plain client connections: see `ClientRecvBuffers`. No state
/// (fits the existential's inline storage: no box per connection, unlike NIO's adaptive
/// allocator's five words).
struct ClientRecvAllocator: RecvByteBufferAllocator {
    init() {}

    /// The first read's buffer: the pool stores it and reads into it from then on.
    func buffer(allocator: ByteBufferAllocator) -> ByteBuffer {
        ClientRecvBuffers.firstReadBuffer()
    }

    /// No size hint: the pool then reads into its stored buffer again while the last
    /// `record` said the next read cannot grow, which it always says.
    func nextBufferSize() -> Int? { nil }

    mutating func record(actualReadBytes: Int) -> Bool {
        ClientRecvBuffers.regionArmed = false
        return false
    }
}
