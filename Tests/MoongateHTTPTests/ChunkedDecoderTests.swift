import Testing
@testable import MoongateHTTP

private func decode(_ pieces: [String]) -> (String, Bool)? {
    var d = ChunkedDecoder()
    var out: [UInt8] = []
    do {
        for p in pieces {
            let bytes = Array(p.utf8)
            _ = try bytes.withUnsafeBytes { try d.feed($0, into: &out) }
        }
    } catch {
        return nil
    }
    return (String(decoding: out, as: UTF8.self), d.isComplete)
}

@Test func chunkedWhole() {
    let r = decode(["5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"])
    #expect(r?.0 == "hello world")
    #expect(r?.1 == true)
}

@Test func chunkedByteByByte() {
    let s = "a;ext=1\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n"
    let r = decode(s.map { String($0) })
    #expect(r?.0 == "0123456789")
    #expect(r?.1 == true)
}

@Test func chunkedIncomplete() {
    let r = decode(["5\r\nhel"])
    #expect(r?.0 == "hel")
    #expect(r?.1 == false)
}

@Test func chunkedStopsAtTheEnd() throws {
    var d = ChunkedDecoder()
    var out: [UInt8] = []
    let bytes = Array("1\r\na\r\n0\r\n\r\nGET / HTTP/1.1\r\n".utf8)
    let used = try bytes.withUnsafeBytes { try d.feed($0, into: &out) }
    #expect(used == 11)
    #expect(d.isComplete)
}

@Test func chunkedRejectsBadInput() {
    #expect(decode(["zz\r\nhello\r\n"]) == nil)
    #expect(decode(["\r\n"]) == nil)
    #expect(decode(["5\r\nhelloXX0\r\n\r\n"]) == nil)
    #expect(decode(["ffffffffffffffff1\r\n"]) == nil)
    #expect(decode(["-1\r\n"]) == nil)
}
