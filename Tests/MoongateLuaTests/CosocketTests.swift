import Testing
@testable import MoongateLua

// Pure parts of the cosocket layer: boundary search for receiveuntil and the DNS
// codec (the socket I/O itself is covered by t/065-*.t .. t/070-*.t).

@Test func findPattern() {
    let hay = Array("hello--abc--world".utf8)[...]
    #expect(LuaTCPSocket.find(Array("--abc--".utf8), in: hay) == 5)
    #expect(LuaTCPSocket.find(Array("xyz".utf8), in: hay) == nil)
    let slice = hay[3...]
    #expect(LuaTCPSocket.find(Array("--".utf8), in: slice) == 5)
}

@Test func safePrefixKeepsAPossibleBoundaryStart() {
    let pat = Array("--abc".utf8)
    #expect(LuaTCPSocket.safePrefix(pat, in: Array("hello--a".utf8)[...]) == 5)
    #expect(LuaTCPSocket.safePrefix(pat, in: Array("hello".utf8)[...]) == 5)
    #expect(LuaTCPSocket.safePrefix(pat, in: Array("hello-".utf8)[...]) == 5)
    #expect(LuaTCPSocket.safePrefix(pat, in: Array("".utf8)[...]) == 0)
}

@Test func dnsRoundTrip() {
    let q = LuaDNSClient.encode("moongate.test", id: 0x1234, type: 1)
    #expect(q.count == 12 + 15 + 4)
    // A reply: the query echoed, one A record 127.0.0.1 with TTL 60.
    var r = q
    r[2] = 0x81
    r[3] = 0x80
    r[7] = 1
    r += [0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]
    guard case .success(let a)? = LuaDNSClient.decode(r, id: 0x1234, type: 1) else {
        Issue.record("no answer")
        return
    }
    #expect(a.addrs == ["127.0.0.1"])
    #expect(a.ttl == 60)
    #expect(LuaDNSClient.decode(r, id: 0x9999, type: 1) == nil)
    var nx = q
    nx[2] = 0x81
    nx[3] = 0x83
    guard case .failure(let e)? = LuaDNSClient.decode(nx, id: 0x1234, type: 1) else {
        Issue.record("expected NXDOMAIN")
        return
    }
    #expect(e.message == "could not be resolved (3: Host not found)")
}

@Test func resolverServerParsing() {
    #expect(LuaResolverConf.parseServer("127.0.0.1")! == ("127.0.0.1", 53))
    #expect(LuaResolverConf.parseServer("127.0.0.1:5353")! == ("127.0.0.1", 5353))
    #expect(LuaResolverConf.parseServer("[::1]:54")! == ("::1", 54))
    #expect(LuaHostResolver.resolve("localhost") == nil)
    #expect(LuaHostResolver.resolve("[::1]") == "::1")
    #expect(LuaHostResolver.resolve("no-such-name.invalid") == nil)
}
