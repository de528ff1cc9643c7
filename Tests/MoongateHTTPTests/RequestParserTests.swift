import Testing
@testable import MoongateHTTP
import MoongateCore

private func parse(_ s: String, limits: HeaderLimits = HeaderLimits()) -> Result<RequestHead, RequestParseError> {
    let bytes = Array(s.utf8)
    return bytes.withUnsafeBytes { b in
        do {
            return .success(try RequestParser.parse(b, limits: limits))
        } catch let e as RequestParseError {
            return .failure(e)
        } catch {
            return .failure(RequestParseError(0, "unexpected"))
        }
    }
}

private func failure(_ s: String, limits: HeaderLimits = HeaderLimits()) -> RequestParseError? {
    if case .failure(let e) = parse(s, limits: limits) { return e }
    return nil
}

@Test func parsesASimpleRequest() throws {
    guard case .success(let h) = parse("GET /a?b=1 HTTP/1.1\r\nHost: Example.COM:80\r\nX-A: 1\r\n\r\n") else {
        Issue.record("parse failed")
        return
    }
    #expect(h.method == "GET" && h.rawURI == "/a?b=1" && h.version == 11)
    #expect(h.host == "example.com")
    #expect(h.header("x-a") == "1")
    #expect(h.keepAliveRequested)
}

@Test func headEndSkipsLeadingBlankLines() {
    let s = Array("\r\n\r\nGET / HTTP/1.0\r\n\r\nrest".utf8)
    let end = s.withUnsafeBytes { RequestParser.headEnd($0) }
    #expect(end == s.count - 4)
    let partial = Array("GET / HTTP/1.0\r\nHost: x\r\n".utf8)
    #expect(partial.withUnsafeBytes { RequestParser.headEnd($0) } == nil)
}

@Test func requestLineErrors() {
    #expect(failure("G(T / HTTP/1.1\r\nHost: a\r\n\r\n")?.message == "client sent invalid method")
    #expect(failure("GET / HTTP/x.1\r\nHost: a\r\n\r\n")?.status == 400)
    #expect(failure("GET / HTTP/2.0\r\nHost: a\r\n\r\n")?.status == 505)
    #expect(failure("GET noslash HTTP/1.1\r\nHost: a\r\n\r\n")?.status == 400)
    let e = failure("G(T / HTTP/1.1\r\n\r\n")
    #expect(e?.stage == .requestLine)
}

@Test func headerErrors() {
    var e = failure("GET / HTTP/1.1\r\n\r\n")
    #expect(e?.message == "client sent HTTP/1.1 request without \"Host\" header")
    #expect(e?.stage == .headers)
    e = failure("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n")
    #expect(e?.message == "client sent invalid host header")
    #expect(e?.host == "a/b")
    e = failure("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
    #expect(e?.status == 400)
    e = failure("GET / HTTP/1.1\r\nHost: a..b\r\n\r\n")
    #expect(e?.message == "client sent invalid host header")
}

@Test func invalidHeaderNamesAreIgnoredByDefault() throws {
    guard case .success(let h) = parse("GET / HTTP/1.1\r\nHost: a\r\nX_U: 1\r\nA@B: 2\r\n\r\n") else {
        Issue.record("parse failed")
        return
    }
    #expect(h.header("x_u") == nil)
    var strict = HeaderLimits()
    strict.ignoreInvalidHeaders = false
    #expect(failure("GET / HTTP/1.1\r\nHost: a\r\nA@B: 2\r\n\r\n", limits: strict)?.message
        == "client sent invalid header line: \"A\\x40...\"")
    #expect(failure("GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n")?.message
        == "client sent invalid header line: \"Bad\\x20...\"")
    if case .success(let h3) = parse("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n") {
        #expect(h3.header("nocolon") == "")
    } else {
        Issue.record("a line without a colon is a header with an empty value")
    }
    var underscores = HeaderLimits()
    underscores.underscoresInHeaders = true
    if case .success(let h2) = parse("GET / HTTP/1.1\r\nHost: a\r\nX_U: 1\r\n\r\n", limits: underscores) {
        #expect(h2.header("x_u") == "1")
    } else {
        Issue.record("underscores_in_headers on should accept X_U")
    }
}

@Test func smugglingCases() {
    // CL + TE.
    #expect(failure("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n")?
        .message == "client sent \"Content-Length\" and \"Transfer-Encoding\" headers at the same time")
    // Duplicate Content-Length, even with the same value.
    #expect(failure("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n")?.status == 400)
    // Bad Content-Length values.
    #expect(failure("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n")?.message
        == "client sent invalid \"Content-Length\" header")
    #expect(failure("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n")?.status == 400)
    #expect(failure("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n")?.status == 400)
    // Unknown or stacked Transfer-Encoding.
    #expect(failure("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")?.status == 501)
    #expect(failure("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n")?
        .status == 400)
    // Chunked with HTTP/1.0.
    #expect(failure("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n")?.status == 400)
    // NUL in a header value.
    #expect(failure("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{0}b\r\n\r\n")?.status == 400)
}

@Test func limitsWhileIncomplete() {
    let limits = HeaderLimits(largeBufferSize: 64, largeBufferCount: 2)
    func check(_ s: String) -> RequestParseError? {
        Array(s.utf8).withUnsafeBytes { b in
            do {
                try RequestParser.checkIncomplete(b, limits: limits)
                return nil
            } catch let e as RequestParseError {
                return e
            } catch {
                return nil
            }
        }
    }
    #expect(check("GET /" + String(repeating: "a", count: 100))?.status == 414)
    #expect(check("GET / HTTP/1.1\r\nX: " + String(repeating: "b", count: 100))?.status == 494)
    #expect(check("GET / HTTP/1.1\r\nX: 1\r\n") == nil)
    let many = "GET / HTTP/1.1\r\n" + String(repeating: "X-Aaaaaaaaaa: bbbbbbbbbbbbbbb\r\n", count: 6)
    #expect(check(many)?.status == 494)
}

@Test func absoluteURIGivesTheHost() {
    guard case .success(let h) = parse("GET http://Other.Example/x?y HTTP/1.1\r\nHost: a\r\n\r\n") else {
        Issue.record("parse failed")
        return
    }
    #expect(h.host == "other.example")
    #expect(h.rawURI == "/x?y")
}

@Test func connectionHeaderDecidesKeepAlive() {
    if case .success(let h) = parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") {
        #expect(h.keepAliveRequested)
    }
    if case .success(let h) = parse("GET / HTTP/1.0\r\n\r\n") { #expect(!h.keepAliveRequested) }
    if case .success(let h) = parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n") {
        #expect(!h.keepAliveRequested)
    }
}

@Test func validateHost() {
    #expect(RequestParser.validateHost("Foo.COM.") == "foo.com")
    #expect(RequestParser.validateHost("foo:8080") == "foo")
    #expect(RequestParser.validateHost("[::1]:80") == "[::1]")
    #expect(RequestParser.validateHost("a\\b") == nil)
    #expect(RequestParser.validateHost("") == nil)
}

@Test func http09RequestLine() {
    let s = Array("GET /x\r\n".utf8)
    #expect(s.withUnsafeBytes { RequestParser.headEnd($0) } == s.count)
    if case .success(let h) = parse("GET /x\r\n") {
        #expect(h.version == 9)
        #expect(h.rawURI == "/x")
    } else {
        Issue.record("HTTP/0.9 GET should parse")
    }
    #expect(failure("POST /x\r\n")?.message == "client sent invalid method in HTTP/0.9 request")
    // A full request line is not mistaken for HTTP/0.9.
    let full = Array("GET /x HTTP/1.1\r\nHost: a\r\n".utf8)
    #expect(full.withUnsafeBytes { RequestParser.headEnd($0) } == nil)
}

private func headEnd(_ s: String) -> Int? {
    Array(s.utf8).withUnsafeBytes { RequestParser.headEnd($0) }
}

@Test func headEndFindsTheBlankLineAndHTTP09Lines() {
    #expect(headEnd("GET / HTTP/1.1\r\nHost: a\r\n\r\n") == 27)
    #expect(headEnd("GET / HTTP/1.1\nHost: a\n\n") == 24)
    #expect(headEnd("\r\n\r\nGET / HTTP/1.1\r\n\r\n") == 22)
    #expect(headEnd("GET / HTTP/1.1\r\nHost: a\r\n") == nil)
    // HTTP/0.9: two words end the head at the first line.
    #expect(headEnd("GET /x\r\n") == 8)
    #expect(headEnd("GET HTTP/1.1\r\n") == 14)
    #expect(headEnd("GET  HTTP/1.1\r\n") == 15)
    // Three words: a versioned request waits for its blank line.
    #expect(headEnd("GET /x HTTP/1.1\r\n") == nil)
}

@Test func literalNamesKeepTheClientsCase() throws {
    guard case .success(let h) = parse("POST / HTTP/1.1\r\nhost: a\r\nUSER-AGENT: x\r\nContent-Length: 0\r\n\r\n") else {
        Issue.record("parse failed")
        return
    }
    #expect(h.method == "POST")
    #expect(h.headers.map(\.name) == ["host", "USER-AGENT", "Content-Length"])
    #expect(h.header("User-Agent") == "x" && h.header("user-agent") == "x" && h.header("HOST") == "a")
    #expect(h.header("user-agen") == nil)
}

@Test func staticExtensionsAndCachedHTTPTime() {
    #expect(StaticModule.extensionLowercased("/a/b.HTML") == "html")
    #expect(StaticModule.extensionLowercased("/a.d/b") == nil)
    #expect(StaticModule.extensionLowercased("/a/b.") == "")
    #expect(CachedTime.httpTime(for: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
    #expect(CachedTime.httpTime(for: 86400) == "Fri, 02 Jan 1970 00:00:00 GMT")
    #expect(CachedTime.httpTime(for: 86400) == "Fri, 02 Jan 1970 00:00:00 GMT")
    #expect(CachedTime.httpTime(for: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
    // Two-digit fields below and above 10, and years of other decades (the digits are
    // written by CachedTime's own formatter).
    #expect(CachedTime.httpTime(for: 1_796_222_047) == "Wed, 02 Dec 2026 14:34:07 GMT")
    #expect(CachedTime.httpTime(for: 1_700_000_000) == "Tue, 14 Nov 2023 22:13:20 GMT")
    #expect(CachedTime.httpTime(for: 4_102_444_799) == "Thu, 31 Dec 2099 23:59:59 GMT")
    #expect(CachedTime.httpTime(for: 951_782_400) == "Tue, 29 Feb 2000 00:00:00 GMT")
}

@Test func staticETagsAsInterpolated() {
    let values: [Int64] = [0, 1, 9, 10, 15, 16, 255, 4096, 0x6543_21ab, 0xFFFF_FFFF, 1 << 40, Int64.max, -1, -4096, Int64.min]
    for m in values {
        for n in values {
            let want = "\"\(String(m, radix: 16))-\(String(n, radix: 16))\""
            #expect(StaticModule.etagString(Int(m), n) == want)
        }
    }
}

@Test func smallASCIIStringsMatchTheLibrarys() {
    for t in ["", "a", "/", "1234567", "12345678", "127.0.0.1:8080", "123456789012345", "1234567890123456", "/a/much/longer/path?x=1"] {
        let a = Array(t.utf8)
        let s = a.withUnsafeBytes { LogBytes.ascii($0) }
        #expect(s == t)
        #expect(s.map { unsafeBitCast($0, to: (UInt64, UInt64).self) == unsafeBitCast(t + "", to: (UInt64, UInt64).self) } ?? false || t.utf8.count > 15)
        #expect(a.withUnsafeBytes { LogBytes.text($0) } == t)
        let upper = Array(t.uppercased().utf8)
        #expect(upper.withUnsafeBytes { LogBytes.asciiLowercased($0) } == t.lowercased())
    }
    let mixed = Array("@AZ[`az{09-_ ~\u{7f}MiXeD".utf8)
    #expect(mixed.withUnsafeBytes { LogBytes.asciiLowercased($0) } == "@az[`az{09-_ ~\u{7f}mixed")
    let short = Array("@AZ[`az{".utf8)
    #expect(short.withUnsafeBytes { LogBytes.asciiLowercased($0) } == "@az[`az{")
    let nonASCII = Array("caf\u{e9}".utf8)
    #expect(nonASCII.withUnsafeBytes { LogBytes.ascii($0) } == nil)
    #expect(nonASCII.withUnsafeBytes { LogBytes.text($0) } == "caf\u{e9}")
}

@Test func headersAreMadeOnDemandAndCanChange() throws {
    var lines = "GET / HTTP/1.1\r\n"
    for k in 0..<11 { lines += "X-\(k): v\(k)\r\n" }
    lines += "Host: A.Example.:81\r\nConnection: Keep-Alive, CLOSE\r\n\r\n"
    guard case .success(var h) = parse(lines) else {
        Issue.record("parse failed")
        return
    }
    #expect(h.headers.count == 13)
    #expect(h.headers[10].name == "X-10" && h.headers[10].value == "v10")
    #expect(h.header("x-10") == "v10" && h.header("X-3") == "v3" && h.header("x-11") == nil)
    #expect(h.host == "a.example")
    #expect(!h.keepAliveRequested)
    var copy = h
    copy.headers.append(("X-New", "n"))
    copy.host = "b"
    #expect(copy.header("x-new") == "n" && h.header("x-new") == nil)
    #expect(copy.host == "b" && h.host == "a.example")
    h.materializeHeaders()
    #expect(h.header("host") == "A.Example.:81")
    guard case .success(let absolute) = parse("GET http://Abs.Host:1/p HTTP/1.1\r\nHost: other\r\n\r\n") else {
        Issue.record("parse failed")
        return
    }
    #expect(absolute.host == "abs.host" && absolute.rawURI == "/p")
    guard case .success(let h10) = parse("GET / HTTP/1.0\r\nconnection: KEEP-alive\r\nContent-Length: 0012\r\n\r\n") else {
        Issue.record("parse failed")
        return
    }
    #expect(h10.keepAliveRequested && h10.contentLength == 12 && h10.host == nil)
}

@Test func manyHeadersGoPastTheInlineSpans() throws {
    var lines = "GET / HTTP/1.1\r\nHost: h\r\n"
    for k in 0..<40 { lines += "X-\(k): value-\(k)\r\n" }
    lines += "Content-Length: 3\r\n\r\n"
    guard case .success(var h) = parse(lines) else {
        Issue.record("parse failed")
        return
    }
    #expect(h.headers.count == 42)
    #expect(h.header("x-39") == "value-39" && h.header("X-0") == "value-0" && h.header("x-15") == "value-15")
    #expect(h.header("x-16") == "value-16" && h.header("content-length") == "3" && h.contentLength == 3)
    #expect(h.headers.last!.name == "Content-Length" && h.headers[17].value == "value-16")
    #expect(h.host == "h" && h.rawHeader.count == Array(lines.utf8).count)
    h.materializeHeaders()
    #expect(h.header("x-39") == "value-39")
}

/// parseCommon's head for `b`, or nil when it leaves `b` to the general path.
private func common(_ b: [UInt8]) -> (RequestHead, Int)? {
    b.withUnsafeBytes { p in
        var end = 0
        guard let h = try? RequestParser.parseCommon(p, limits: HeaderLimits(), end: &end) else { return nil }
        return (h, end)
    }
}

/// Whether the general path (headEnd, then parse) gives the same head and end as
/// parseCommon for `b` (true when parseCommon leaves `b` to it).
private func agrees(_ b: [UInt8]) -> Bool {
    guard let (c, end) = common(b) else { return true }
    guard let e = b.withUnsafeBytes({ RequestParser.headEnd($0) }), e == end else { return false }
    let g: RequestHead
    do {
        g = try b.withUnsafeBytes { try RequestParser.parse(UnsafeRawBufferPointer(rebasing: $0[0..<end]), limits: HeaderLimits()) }
    } catch {
        return false
    }
    let ch = c.headers, gh = g.headers
    guard c.method == g.method, c.rawURI == g.rawURI, c.version == g.version, c.rawHeader == g.rawHeader,
        c.requestLineLength == g.requestLineLength, c.contentLength == g.contentLength, c.chunked == g.chunked,
        c.host == g.host, c.hostIsSet == g.hostIsSet, c.hostStart == g.hostStart, c.hostLength == g.hostLength,
        c.keepAliveRequested == g.keepAliveRequested, c.expectContinue == g.expectContinue,
        c.ignoredHeaderLines == g.ignoredHeaderLines, ch.count == gh.count,
        zip(ch, gh).allSatisfy({ $0.name == $1.name && $0.value == $1.value })
    else { return false }
    // The URI split the parser noted is the one the normalizer makes.
    if c.simpleQuery >= -1 {
        guard let known = URINormalizer.splitKnown(c.rawURI, query: Int(c.simpleQuery)),
            let simple = URINormalizer.splitSimple(c.rawURI), known.path == simple.path, known.args == simple.args
        else { return false }
    } else if URINormalizer.splitSimple(c.rawURI) != nil {
        return false
    }
    return true
}

@Test func commonHeadsParseAsTheGeneralPathDoes() {
    let taken = [
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAccept-Encoding: identity\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: bench\r\n\r\n",
        "GET /a/b.c?x=1&y=/./..%20#f HTTP/1.1\r\nHost: A.Example.\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n",
        "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 0012\r\nX-Empty:\r\nX-Sp:   v  \r\n\r\nbody",
        "HEAD /%41/x HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
        "GET //x/./y HTTP/1.0\r\n\r\n",
        "DELETE /x?a#b HTTP/1.1\r\nhost: a.b:80\r\nUser-Agent: caf\u{e9}\r\n\r\n",
        "M-_ /x HTTP/1.1\r\nHost: h\r\n\r\n",
    ]
    for s in taken {
        let b = Array(s.utf8)
        #expect(common(b) != nil, "\(s)")
        #expect(agrees(b), "\(s)")
    }
    let left = [
        "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", "GET / HTTP/1.1\r\nHost: h\r\n", "GET / HTTP/1.1\nHost: h\n\n",
        "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", "GET / HTTP/1.1\r\nHost:\th\r\n\r\n", "GET / HTTP/1.1\r\n\r\n",
        "TRACE / HTTP/1.1\r\nHost: h\r\n\r\n", "GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nHost: h\r\n\r\n", "GET / HTTP/1.1\r\nHost: h\r\nX_Y: 1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", "GET /\r\n\r\n",
        "GET / HTTP/2.0\r\nHost: h\r\n\r\n", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", "GET /\u{e9} HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n X: y\r\n\r\n", "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", "GET / HTTP/1.1\r\nHost: h\r\nX: a\u{0}b\r\n\r\n",
    ]
    for s in left { #expect(common(Array(s.utf8)) == nil, "\(s)") }
    // Random changes of common heads: whatever parseCommon takes, the general path parses the same.
    var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> Int {
        seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int(truncatingIfNeeded: seed >> 33)
    }
    let alphabet = Array(" \t\r\n:/?#%.-_aZ0\u{0}\u{7f}\u{80}".utf8)
    var taken2 = 0
    for round in 0..<20000 {
        var b = Array(taken[round % taken.count].utf8)
        for _ in 0..<(1 + next() % 3) {
            let at = next() % b.count
            switch next() % 3 {
            case 0: b[at] = alphabet[next() % alphabet.count]
            case 1: b.insert(alphabet[next() % alphabet.count], at: at)
            default: b.remove(at: at)
            }
        }
        if !agrees(b) {
            Issue.record("differs: \(b)")
            break
        }
        if common(b) != nil { taken2 += 1 }
    }
    #expect(taken2 > 1000)
}

@Test func commonKnownHeaderMatchesKnownHeader() {
    let names = [
        "Host", "HOST", "host", "hosT", "Hosts", "Expect", "EXPECT", "expecT", "Connection", "connection", "CONNECTION",
        "Content-Length", "content-length", "CONTENT-LENGTH", "Content-Lengtx", "Transfer-Encoding", "transfer-encoding",
        "TRANSFER-ENCODING", "Transfer-Encodinh", "Accept", "X-Host", "Hos1", "Content-Type", "Keep-Alive", "Upgrade",
        "0ost", "Connectio-", "Contentlength1", "Transfer-Encodin-",
    ]
    for n in names {
        let b = Array(n.utf8)
        let fast = b.withUnsafeBytes { RequestParser.commonKnownHeader($0.baseAddress!, $0.count) }
        let slow = b.withUnsafeBytes { RequestParser.knownHeader($0) }
        #expect(fast == slow, "\(n)")
    }
}

@Test func commonHostLengthMatchesValidHostLength() {
    let hosts = [
        "127.0.0.1:8080", "bench", "Example.COM", "a.example.", "a.example.:81", "a-b.c", "a..b", ".a", "a.", ".", ":80",
        "", "a:", "a:x", "a:8x", "[::1]:80", "a_b", "a/b", "a\\b", "caf\u{e9}", "a b", "1.2.3.4", "x.y.z:65535", "A.:1",
    ]
    for h in hosts {
        let b = Array(h.utf8)
        let fast = b.withUnsafeBytes { RequestParser.commonHostLength($0) }
        let slow = b.withUnsafeBytes { RequestParser.validHostLength($0) }
        // Taken: the same length, and ASCII; left (nil): the general path decides.
        if let fast {
            #expect(fast == slow, "\(h)")
            #expect(b.allSatisfy { $0 < 0x80 }, "\(h)")
        }
    }
    #expect(Array("127.0.0.1:8080".utf8).withUnsafeBytes { RequestParser.commonHostLength($0) } == 9)
    #expect(Array("a.example.".utf8).withUnsafeBytes { RequestParser.commonHostLength($0) } == 9)
}
