import CZlib
import NIOCore
import Testing
@testable import MoongateHTTP

/// Inflates with zlib's gzip decoder (header, CRC-32 and length checked); nil if invalid.
private func gunzip(_ data: [UInt8]) -> [UInt8]? {
    var s = z_stream()
    guard mg_inflate_init2(&s, 31) == Z_OK else { return nil }
    defer { inflateEnd(&s) }
    var out: [UInt8] = []
    var input = data
    var ok = false
    input.withUnsafeMutableBufferPointer { inp in
        s.next_in = inp.baseAddress
        s.avail_in = uInt(inp.count)
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let rc = buf.withUnsafeMutableBufferPointer { b -> Int32 in
                s.next_out = b.baseAddress
                s.avail_out = uInt(b.count)
                return inflate(&s, Z_NO_FLUSH)
            }
            out += buf[0..<(4096 - Int(s.avail_out))]
            if rc == Z_STREAM_END {
                ok = s.avail_in == 0
                return
            }
            if rc != Z_OK { return }
        }
    }
    return ok ? out : nil
}

/// Runs `pieces` through a stream; the last one ends the response. Returns the bytes sent
/// per piece.
private func compress(_ pieces: [(String, flush: Bool)], level: Int = 1) -> [[UInt8]] {
    let gz = GzipStream(level: level, contentLength: nil, pieceSize: 4096)
    let alloc = ByteBufferAllocator()
    var sent: [[UInt8]] = []
    for (i, p) in pieces.enumerated() {
        var chunk = BodyChunk(data: alloc.buffer(string: p.0), last: i == pieces.count - 1, flush: p.flush)
        #expect(gz.filter(&chunk, allocator: alloc))
        sent.append(chunk.data.map { Array($0.readableBytesView) } ?? [])
    }
    return sent
}

@Test func gzipRoundTrip() {
    let text = String(repeating: "moongate speaks gzip like nginx. ", count: 2000)
    let sent = compress([(text, false), ("", false)], level: 6)
    let all = sent.flatMap { $0 }
    #expect(all.count < text.utf8.count / 10)
    #expect(Array(all.prefix(3)) == [0x1f, 0x8b, 8])
    #expect(gunzip(all).map { String(decoding: $0, as: UTF8.self) } == text)
}

@Test func gzipFlushMakesEverythingSoFarDecodable() {
    let sent = compress([("first line\n", true), ("second line\n", true), ("third line\n", false)])
    // Each flushed piece ends with the empty stored block of Z_SYNC_FLUSH.
    #expect(sent[0].suffix(4) == [0, 0, 0xff, 0xff])
    #expect(sent[1].suffix(4) == [0, 0, 0xff, 0xff])
    #expect(gunzip(sent.flatMap { $0 }).map { String(decoding: $0, as: UTF8.self) }
        == "first line\nsecond line\nthird line\n")
}

@Test func gzipHoldsPartialPiecesUntilFullOrFlushed() {
    // Without a flush nothing short of a whole piece leaves before the end.
    let sent = compress([("hello world ", false), ("hello world ", false), ("", false)])
    #expect(sent[0].isEmpty && sent[1].isEmpty)
    #expect(gunzip(sent[2]).map { String(decoding: $0, as: UTF8.self) } == "hello world hello world ")
}

@Test func gzipEmptyBody() {
    let sent = compress([("", false)])
    #expect(gunzip(sent[0]) == [])
}

@Test func gzipRatioAsNginx() {
    let gz = GzipStream(level: 1, contentLength: nil, pieceSize: 4096)
    let alloc = ByteBufferAllocator()
    var chunk = BodyChunk(data: alloc.buffer(string: String(repeating: "hello world ", count: 100) + "\n"),
                          last: true)
    #expect(gz.filter(&chunk, allocator: alloc))
    // Uncompressed over compressed size, header and trailer included (1201 / 47).
    #expect(gz.ratio == "25.55")
}

@Test func acceptEncodingRules() {
    func ok(_ s: String) -> Bool { GzipAcceptEncoding.accepts(Array(s.utf8)) }
    #expect(ok("gzip"))
    #expect(ok("deflate, gzip"))
    #expect(ok("GZIP"))
    #expect(ok("gzip;q=0.5"))
    #expect(!ok("gzip;q=0"))
    #expect(!ok("gzip; q=0.000"))
    #expect(!ok("x-gzip"))
    #expect(!ok("gzipx"))
    #expect(!ok("gzip;q=2"))
}
