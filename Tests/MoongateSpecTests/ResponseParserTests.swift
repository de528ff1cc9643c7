import Testing
@testable import MoongateSpec

@Suite struct ResponseParserTests {
    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func contentLength() {
        let (r, end) = ResponseParser.parse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhelloEXTRA"))
        #expect(r.status == 200)
        #expect(r.bodyText == "hello")
        #expect(r.header("x-a") == "b")
        #expect(end == 51)
        #expect(!r.truncated)
    }

    @Test func chunked() {
        let raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst\n\r\n7;ext=1\r\nsecond\n\r\n0\r\n\r\n"
        let (r, end) = ResponseParser.parse(bytes(raw))
        #expect(r.bodyText == "first\nsecond\n")
        #expect(r.parseError == nil)
        #expect(end == raw.utf8.count)
    }

    @Test func badChunkIsReported() {
        let (r, _) = ResponseParser.parse(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"))
        #expect(r.parseError != nil)
    }

    @Test func noLengthReadsToEnd() {
        let (r, _) = ResponseParser.parse(bytes("HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\nall\nof it"))
        #expect(r.status == 404)
        #expect(r.bodyText == "all\nof it")
    }

    @Test func truncatedBody() {
        let (r, _) = ResponseParser.parse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))
        #expect(r.truncated)
    }

    @Test func pipelinedAndHead() {
        let raw = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nA\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nB2\n\r\n0\r\n\r\n"
        let rs = ResponseParser.parseAll(bytes(raw), methods: ["GET", "HEAD", "GET"])
        #expect(rs.count == 3)
        #expect(rs.map(\.bodyText) == ["A\n", "", "B2\n"])
    }

    @Test func http09() {
        let (r, _) = ResponseParser.parse(bytes("hello"))
        #expect(r.status == nil)
        #expect(r.bodyText == "hello")
    }

    @Test func requestBuilder() {
        let ex = RequestBuilder.build("POST /t\nhello", moreHeaders: "X-A: 1\n")
        #expect(String(decoding: ex.bytes, as: UTF8.self)
            == "POST /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-A: 1\r\nContent-Length: 5\r\n\r\nhello")
        let own = RequestBuilder.build("GET / HTTP/1.0", moreHeaders: "Host: foo\nConnection: keep-alive")
        #expect(String(decoding: own.bytes, as: UTF8.self)
            == "GET / HTTP/1.0\r\nHost: foo\r\nConnection: keep-alive\r\n\r\n")
        let p = RequestBuilder.pipelined(["GET /a", "HEAD /b"])
        #expect(p.methods == ["GET", "HEAD"])
        #expect(String(decoding: p.bytes, as: UTF8.self).contains("Connection: keep-alive\r\n\r\nHEAD /b HTTP/1.1"))
    }

    @Test func rawRequestPieces() {
        let one = RequestBuilder.raw(pieces: ["GET / HTTP/1.0\r\n\r\n"], delay: 0.5)
        #expect(one.pieceEnds.isEmpty && one.methods == ["GET"])
        let two = RequestBuilder.raw(pieces: ["PUT /t HTTP/1.1\r\n\r\nab", "cde"], delay: 0.25)
        #expect(two.pieceEnds == [21, 24])
        #expect(two.pieceDelay == 0.25)
        #expect(two.methods == ["PUT"])
        #expect(String(decoding: two.bytes, as: UTF8.self).hasSuffix("abcde"))
    }
}
