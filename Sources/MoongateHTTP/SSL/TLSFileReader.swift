import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Reads a file region into memory for a TLS connection, which cannot sendfile.
enum TLSFileReader {
    static func read(_ file: FileRegion, allocator: ByteBufferAllocator) -> ByteBuffer? {
        let count = file.readableBytes
        var b = allocator.buffer(capacity: count)
        let got: Int? = try? file.fileHandle.withUnsafeFileDescriptor { fd in
            b.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { ptr in
                var done = 0
                while done < count {
                    let n = pread(fd, ptr.baseAddress! + done, count - done, off_t(file.readerIndex + done))
                    if n <= 0 { break }
                    done += n
                }
                return done
            }
        }
        guard got == count else { return nil }
        return b
    }
}
