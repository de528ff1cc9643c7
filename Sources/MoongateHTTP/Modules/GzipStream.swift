import CZlib
import Glibc
import NIOCore

/// One response's gzip compression (nginx's `ngx_http_gzip_ctx_t`): zlib's deflate with
/// its gzip wrapper, fed as the data comes. A flush (`ngx.flush`) ends in `Z_SYNC_FLUSH`,
/// so the client can decode everything sent so far, and the last chunk in `Z_FINISH`.
public final class GzipStream {
    private let stream: UnsafeMutablePointer<z_stream>
    private var started = false
    /// The trailer went out: later chunks pass unchanged.
    public private(set) var done = false
    private let level: Int32
    private let wbits: Int32
    private let memLevel: Int32
    private let pieceSize: Int
    /// Uncompressed and compressed sizes once finished (for `$gzip_ratio`).
    private var zin = 0
    private var zout = 0
    /// Output not sent yet: like nginx, compressed data goes out in whole `gzip_buffers`
    /// pieces, or all of it on a flush and at the end.
    private var pending: ByteBuffer? = nil

    /// `contentLength` is the length announced before compression: as nginx, a short
    /// response gets a smaller window and hash (less memory, same output format).
    init(level: Int, contentLength: Int64?, pieceSize: Int, windowBits: Int = 15, memLevel: Int = 8) {
        var wbits = windowBits
        var memLevel = memLevel
        if let cl = contentLength, cl > 0 {
            while cl < Int64((1 << (wbits - 1)) - 262) {
                wbits -= 1
                memLevel -= 1
            }
        }
        self.level = Int32(level)
        self.wbits = Int32(max(wbits, 9))
        self.memLevel = Int32(max(memLevel, 1))
        self.pieceSize = pieceSize
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
    }

    deinit {
        if started && !done { deflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// nginx's `$gzip_ratio`: uncompressed / compressed size with two decimals, rounded.
    public var ratio: String? {
        guard zout > 0 else { return nil }
        var int = zin / zout
        var frac = (zin * 100 / zout) % 100
        if (zin * 1000 / zout) % 10 > 4 {
            frac += 1
            if frac > 99 {
                int += 1
                frac = 0
            }
        }
        return "\(int).\(frac < 10 ? "0" : "")\(frac)"
    }

    /// Compresses the chunk's data in place. Returns false when zlib fails.
    func filter(_ chunk: inout BodyChunk, allocator: ByteBufferAllocator) -> Bool {
        if done { return true }
        if !started {
            guard mg_deflate_init_gzip(stream, level, wbits, memLevel) == Z_OK else { return false }
            started = true
        }
        var out = pending ?? allocator.buffer(capacity: pieceSize)
        pending = nil
        let mode: Int32 = chunk.last ? Z_FINISH : (chunk.flush ? Z_SYNC_FLUSH : Z_NO_FLUSH)
        var ok = true
        if let d = chunk.data, d.readableBytes > 0 {
            d.withUnsafeReadableBytes { ok = deflate(input: $0, mode: Z_NO_FLUSH, into: &out) }
        }
        if ok && mode != Z_NO_FLUSH {
            ok = deflate(input: UnsafeRawBufferPointer(start: nil, count: 0), mode: mode, into: &out)
        }
        guard ok else {
            deflateEnd(stream)
            done = true
            return false
        }
        if mode == Z_FINISH {
            zin = Int(stream.pointee.total_in)
            zout = Int(stream.pointee.total_out)
            deflateEnd(stream)
            done = true
        }
        if mode == Z_NO_FLUSH && out.readableBytes % pieceSize != 0 {
            let whole = out.readableBytes - out.readableBytes % pieceSize
            pending = out.getSlice(at: out.readerIndex + whole, length: out.readableBytes - whole)
            out = out.getSlice(at: out.readerIndex, length: whole)!
        }
        chunk.data = out.readableBytes > 0 ? out : nil
        return true
    }

    /// Feeds `input` to deflate with `mode`, appending everything it produces to `out`.
    private func deflate(input: UnsafeRawBufferPointer, mode: Int32, into out: inout ByteBuffer) -> Bool {
        stream.pointee.next_in = UnsafeMutablePointer(
            mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        while true {
            var rc: Int32 = Z_OK
            var produced = 0
            out.reserveCapacity(minimumWritableBytes: pieceSize)
            out.withUnsafeMutableWritableBytes { w in
                stream.pointee.next_out = w.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(w.count)
                rc = CZlib.deflate(stream, mode)
                produced = w.count - Int(stream.pointee.avail_out)
            }
            out.moveWriterIndex(forwardBy: produced)
            if rc == Z_STREAM_END { return true }
            if rc == Z_BUF_ERROR && produced == 0 { return mode != Z_FINISH }
            if rc != Z_OK && rc != Z_BUF_ERROR { return false }
            // Done when zlib took all input and still had room: nothing is pending.
            if mode != Z_FINISH && stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 { return true }
        }
    }
}

