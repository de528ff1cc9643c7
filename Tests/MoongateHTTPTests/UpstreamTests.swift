import NIOCore
import Testing

@testable import MoongateHTTP

/// Serialized: the parser keeps a finished (or incomplete) head's storage in per-process
/// spares for the next head, as a worker's one thread does; tests of this suite running
/// in parallel threads would take them concurrently.
@Suite(.serialized) struct UpstreamResponseParserTests {
    func feed(_ s: String) throws -> (UpstreamResponseHead, [UInt8])? {
        var p = UpstreamResponseParser(limit: 4096)
        var b = ByteBuffer(string: s)
        guard let h = try p.feed(&b) else { return nil }
        return (h, Array(b.readableBytesView))
    }

    @Test func lowerNameConstantsAreTheirNames() {
        func same(_ a: LowerName, _ b: LowerName) -> Bool {
            a.count == b.count && a.first == b.first && a.firstMask == b.firstMask && a.last == b.last
                && a.lastMask == b.lastMask
        }
        #expect(same(LowerName.contentLength, LowerName("content-length")))
        #expect(same(LowerName.connection, LowerName("connection")))
        #expect(same(LowerName.keepAlive, LowerName("keep-alive")))
        #expect(same(LowerName.close, LowerName("close")))
        #expect(same(LowerName.contentType, LowerName("content-type")))
        #expect(same(LowerName.location, LowerName("location")))
        #expect(same(LowerName.refresh, LowerName("refresh")))
        #expect(same(LowerName.date, LowerName("date")))
        #expect(same(LowerName.server, LowerName("server")))
    }

    @Test func parsesStatusHeadersAndRest() throws {
        let r = try #require(try feed("HTTP/1.1 201 Created\r\nContent-Length: 3\r\nX-A: b\r\n\r\nabc"))
        #expect(r.0.status == 201)
        #expect(r.0.version == 11)
        #expect(r.0.contentLength == 3)
        #expect(r.0.header("x-a") == "b")
        #expect(r.1 == Array("abc".utf8))
    }

    @Test func waitsForTheWholeHead() throws {
        #expect(try feed("HTTP/1.1 200 OK\r\nX-A: b\r\n") == nil)
    }

    @Test func chunkedWinsOverLength() throws {
        let r = try #require(try feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"))
        #expect(r.0.chunked)
        #expect(r.0.contentLength == nil)
    }

    @Test func headSplitAcrossReadsEvenInsideTheBlankLine() throws {
        var p = UpstreamResponseParser(limit: 4096)
        let parts = ["HTTP/1.0 404 Not", " Found\r\nConnection: Keep-Alive\r\nContent-Length:  7 \r", "\n\r", "\nbody"]
        var result: (UpstreamResponseHead, [UInt8])?
        for part in parts {
            var b = ByteBuffer(string: part)
            #expect(result == nil)
            if let h = try p.feed(&b) {
                result = (h, Array(b.readableBytesView))
            } else {
                #expect(b.readableBytes == 0)
            }
        }
        let r = try #require(result)
        #expect(r.0.status == 404)
        #expect(r.0.version == 10)
        #expect(r.0.connectionKeepAlive)
        #expect(!r.0.connectionClose)
        #expect(r.0.contentLength == 7)
        #expect(r.0.header("connection") == "Keep-Alive")
        #expect(r.1 == Array("body".utf8))
    }

    @Test func bareLineFeedsAndHeaderCase() throws {
        let r = try #require(try feed("HTTP/1.1 200 OK\nCONTENT-TYPE:\ttext/x\nx-Y: 1\n\n"))
        #expect(r.0.header("content-type") == "text/x")
        #expect(r.0.header("x-y") == "1")
        #expect(r.0.headers.map(\.name) == ["CONTENT-TYPE", "x-Y"])
        #expect(r.1.isEmpty)
    }

    @Test func connectionAndLengthNamesInAnyCase() throws {
        for (line, close, keepAlive) in [
            ("Connection: keep-alive", false, true), ("CONNECTION: Keep-Alive", false, true),
            ("connection: close", true, false), ("Connection: CLOSE", true, false),
            ("Connection: close, keep-alive", true, true), ("Connection: closed", true, false),
            ("Connection: keep-alivE ", false, true), ("Connection: keep_alive", false, false),
            ("Connectio\rn: close", false, false), ("Connection: clos", false, false),
        ] {
            let r = try #require(try feed("HTTP/1.1 200 OK\r\n\(line)\r\nContent-LENGTH: 2\r\n\r\nab"))
            #expect(r.0.connectionClose == close, "\(line)")
            #expect(r.0.connectionKeepAlive == keepAlive, "\(line)")
            #expect(r.0.contentLength == 2)
        }
        let n = try #require(try feed("HTTP/1.1 200 OK\r\nContent\rLength: 2\r\n\r\n"))
        #expect(n.0.contentLength == nil)
    }

    @Test func headerNamesOfEveryLengthEndAtTheirColon() throws {
        for n in 1...20 {
            let name = String((0..<n).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })
            let r = try #require(try feed("HTTP/1.1 200 OK\r\n\(name):v\r\n\(name)-x: w \r\n\r\n"))
            #expect(r.0.headers.map(\.name) == [name, name + "-x"])
            #expect(r.0.headers.map(\.value) == ["v", "w "])
            // A space anywhere in the name (before its colon) makes the line invalid.
            for k in 0..<n {
                var bytes = Array(name.utf8)
                bytes[k] = 32
                let spaced = String(decoding: bytes, as: UTF8.self)
                #expect(throws: UpstreamParseError.self, "\(spaced)") {
                    try feed("HTTP/1.1 200 OK\r\n\(spaced): value here\r\n\r\n")
                }
            }
        }
    }

    @Test func rejectsBadStatusLinesAndHeaders() {
        for bad in [
            "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 0a0 OK\r\n\r\n",
            "HTTP/1.1 099 X\r\n\r\n", "ICY 200 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nNo colon\r\n\r\n",
            "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n", "HTTP/1.1 200 OK\r\nBad name: x\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
        ] {
            #expect(throws: UpstreamParseError.self, "\(bad)") { try feed(bad) }
        }
    }

    @Test func tooBigHeadAndNonHTTPPrefixFailEarly() {
        var p = UpstreamResponseParser(limit: 32)
        var b = ByteBuffer(string: "HTTP/1.1 200 OK\r\nX-Long: " + String(repeating: "a", count: 40))
        #expect(throws: UpstreamParseError.self) { try p.feed(&b) }
        var q = UpstreamResponseParser(limit: 4096)
        var c = ByteBuffer(string: "SSH-2.0-OpenSSH")
        #expect(throws: UpstreamParseError.self) { try q.feed(&c) }
    }

    @Test func manyFieldsKeepTheirOrderAcrossBatches() throws {
        // More fields than the parser's stack batch (32), and fewer; each head gives its
        // storage back as a worker's session does, so that the next one is written over
        // it (in place when as long, else replaced), with no stale field or byte left.
        for count in [1, 31, 32, 33, 64, 70, 3, 100, 0, 5] {
            let lines = (0..<count).map { "X-H\($0): v\($0)\r\n" }.joined()
            let r = try #require(try feed("HTTP/1.1 200 OK\r\n" + lines + "Content-Length: 1\r\n\r\nz"))
            var h = r.0
            #expect(h.fields.count == count + 1, "\(count)")
            #expect(h.headers.map(\.name) == (0..<count).map { "X-H\($0)" } + ["Content-Length"], "\(count)")
            #expect(h.headers.map(\.value) == (0..<count).map { "v\($0)" } + ["1"], "\(count)")
            #expect(h.contentLength == 1)
            #expect(r.1 == Array("z".utf8))
            h.giveStorage()
        }
        // The same head again and again (the usual case), then one as long with other bytes.
        for v in ["a", "b", "c"] {
            var h = try #require(try feed("HTTP/1.1 200 OK\r\nX-A: \(v)\r\nX-B: 1\r\n\r\n")).0
            #expect(h.headers.map(\.value) == [v, "1"])
            #expect(String(decoding: h.raw, as: UTF8.self) == "HTTP/1.1 200 OK\r\nX-A: \(v)\r\nX-B: 1\r\n\r\n")
            h.giveStorage()
        }
        var h = try #require(try feed("HTTP/1.1 200 OK\r\nX-AB: 1\r\nX-B:1\r\n\r\n")).0
        #expect(h.headers.map(\.name) == ["X-AB", "X-B"])
        #expect(h.headers.map(\.value) == ["1", "1"])
        h.giveStorage()
    }

    @Test func valuesOfEveryLengthEndAtTheirLineFeed() throws {
        for n in 0...20 {
            let v = String(repeating: "v", count: n)
            for eol in ["\r\n", "\n"] {
                let head = "HTTP/1.1 200 OK" + eol + "A:" + v + eol + "Bb: \t" + v + "x" + eol + eol
                let r = try #require(try feed(head + "!"))
                #expect(r.0.headers.map(\.value) == [v, v + "x"], "\(n)")
                #expect(r.1 == Array("!".utf8))
            }
        }
        for bad in ["NoColonAtAll", "NoColonAtAllInThisLongName", "x", ":v"] {
            #expect(throws: UpstreamParseError.self, "\(bad)") { try feed("HTTP/1.1 200 OK\r\n\(bad)\r\n\r\n") }
            #expect(throws: UpstreamParseError.self, "\(bad)") { try feed("HTTP/1.1 200 OK\n\(bad)\n\n") }
        }
        // A CR inside a name or a value is theirs; a CR alone at a line's start is a name's.
        let r = try #require(try feed("HTTP/1.1 200 OK\r\nA\rB: c\rd\r\n\rE: f\n\r\n"))
        #expect(r.0.headers.map(\.name) == ["A\rB", "\rE"])
        #expect(r.0.headers.map(\.value) == ["c\rd", "f"])
    }

    @Test func statusLinesTheUsualWayAndTheGeneralWayAgree() throws {
        for (line, version, status) in [
            ("HTTP/1.1 200 OK", 11, 200), ("HTTP/1.0 200 OK", 10, 200), ("HTTP/1.1 404 ", 11, 404),
            ("HTTP/1.1 200", 11, 200), ("HTTP/1.0 301", 10, 301), ("http/1.0 200 OK", 10, 200),
            ("HTTP/1.0  200 OK", 10, 200), ("HTTP/2.0 200 OK", 11, 200), (" HTTP/1.0 599 X", 10, 599),
            ("HTTP/1.1 100 Continue", 11, 100), ("HTTP/1.1 999 OK", 11, 999),
        ] {
            guard line.hasPrefix("HTTP") || line.hasPrefix(" HTTP") else {
                #expect(throws: UpstreamParseError.self, "\(line)") { try feed(line + "\r\n\r\n") }
                continue
            }
            for eol in ["\r\n", "\n"] {
                let r = try #require(try feed(line + eol + "A: b" + eol + eol), "\(line)")
                #expect(r.0.version == version, "\(line)")
                #expect(r.0.status == status, "\(line)")
                #expect(r.0.header("a") == "b", "\(line)")
            }
        }
        for bad in ["HTTP/1.1 0200 OK", "HTTP/1.1 20a OK", "HTTP/1.1 020 OK", "HTTP/1.1 200OK"] {
            #expect(throws: UpstreamParseError.self, "\(bad)") { try feed(bad + "\r\n\r\n") }
        }
    }

    @Test func rejectsGarbage() {
        #expect(throws: UpstreamParseError.self) { try feed("garbage\r\n\r\n") }
    }
}

@Suite struct PeerSelectorTests {
    func block(_ weights: [Int]) -> UpstreamBlock {
        let b = UpstreamBlock(name: "up", explicit: true, location: nil)
        for (i, w) in weights.enumerated() {
            b.peers.append(
                UpstreamPeer(
                    host: "127.0.0.\(i + 1)", port: 80, weight: w, maxFails: 1, failTimeout: 10_000, backup: false,
                    down: false))
        }
        return b
    }

    @Test func smoothWeightedOrder() {
        let b = block([5, 1, 1])
        var s = PeerSelector(block: b)
        var order: [String] = []
        for _ in 0..<7 {
            s.tried.removeAll()
            let p = s.pick(roundRobinOf: b.peers)
            order.append(p.host)
        }
        // nginx's smooth weighted round robin: a a b a c a a.
        #expect(order == ["127.0.0.1", "127.0.0.1", "127.0.0.2", "127.0.0.1", "127.0.0.3", "127.0.0.1", "127.0.0.1"])
    }

    @Test func failedPeerIsSkippedWithinFailTimeout() {
        let b = block([1, 1])
        let p = b.peers[0]
        #expect(p.release(failed: true, now: 1000))
        #expect(!p.available(now: 2000))
        #expect(p.available(now: 12_001))
    }

    /// max_conns: a peer with that many requests on it is not available until one is
    /// released; max_conns=0 is no limit.
    @Test func maxConnsMakesABusyPeerUnavailable() {
        let b = block([10, 1])
        let first = b.peers[0]
        first.maxConns = 1
        first.conns = 1
        #expect(!first.available(now: 0))
        #expect(b.peers[1].available(now: 0))
        #expect(first.release(failed: false, now: 0) == false)
        #expect(first.conns == 0)
        #expect(first.available(now: 0))
        b.peers[1].conns = 1000
        #expect(b.peers[1].available(now: 0))
    }

    @Test func crc32MatchesZlib() {
        #expect(CRC32.of(Array("123456789".utf8)) == 0xCBF4_3926)
        var c = CRC32()
        c.update(Array("1234".utf8))
        var d = CRC32(state: c.state)
        d.update(Array("56789".utf8))
        #expect(d.final == 0xCBF4_3926)
    }

    @Test func ringSplitsHostAndPort() {
        let (h, p) = UpstreamHashRing.split(Array("backend:8080".utf8))
        #expect(Array(h) == Array("backend".utf8) && Array(p) == Array("8080".utf8))
        let (h2, p2) = UpstreamHashRing.split(Array("[::1]".utf8))
        #expect(Array(h2) == Array("[::1]".utf8) && p2.isEmpty)
        let ring = UpstreamHashRing(peers: block([1, 2]).peers)
        #expect(ring.points.count == 480)
        #expect(zip(ring.points, ring.points.dropFirst()).allSatisfy { $0.hash < $1.hash })
        #expect(ring.find(0) == 0 && ring.find(UInt32.max) <= ring.points.count)
    }

    @Test func ipHashAddressBytes() {
        #expect(HashState.addressBytes("10.1.2.3") == [10, 1, 2])
        #expect(HashState.addressBytes("::1").count == 16)
        #expect(HashState.addressBytes("unix:") == [0, 0, 0])
    }
}

@Suite struct HeaderNameSetTests {
    /// The word-at-a-time match is the byte loop's: asciiLower(byte) == the name's byte.
    @Test func matchesAsTheByteLoop() {
        let names = [
            "date", "server", "content-length", "x-accel-expires", "x-accel-redirect", "keep-alive",
            "transfer-encoding", "x-pad", "my_header-1234567", "ser", "Upper", "Upper-Case-Name", "x-\u{e9}t\u{e9}-header",
        ]
        let set = HeaderNameSet(names)
        let probes =
            names + names.map { $0.uppercased() } + [
                "content-lengtH", "content-lengtx", "content\rlength", "CONTENT\rLENGTH", "Content-Length ",
                "x-accel-expireS", "X-ACCEL-REDIRECT", "x-accel-redirecT", "x-accel-redirec", "x-accel\rredirect",
                "MY_HEADER-1234567", "my_header-123456\u{7}", "my_header\r1234567", "upper-case-name",
                "keep_alive", "KEEP-ALIVE", "transfer-encodinG", "transfer-encodinh", "X-\u{c9}T\u{c9}-HEADER",
                "@ontent-length", "content-lengt@", "[ontent-length", "x\rpad", "X-PAd", "d@te", "DaTe", "serveR",
                "server ", "ser", "SER",
            ]
        for p in probes {
            let expected = names.contains { n in
                n.utf8.count == p.utf8.count && !n.utf8.contains(where: { asciiIsUpper($0) })
                    && zip(p.utf8, n.utf8).allSatisfy { asciiLower($0) == $1 }
            }
            let got = Array(p.utf8).withUnsafeBufferPointer { set.contains($0) }
            #expect(got == expected, "\(p)")
        }
    }
}
