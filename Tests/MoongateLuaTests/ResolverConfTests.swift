import NIOCore
import Testing
@testable import MoongateLua

// Per-level resolver settings and the socket option table (the behaviour against
// name servers is in t/deps/076-resolver-more.spec, options in t/074-tcp-sockopt.t).

@Test func resolverConfInheritsPerField() {
    let http = LuaResolverConf()
    let r = LuaResolver(servers: [("127.0.0.1", 53)], validMs: nil, ipv6: true)
    http.resolver = r
    http.timeoutMs = 1000
    let loc = LuaResolverConf()
    loc.timeoutMs = 300
    loc.merge(from: http)
    #expect(loc.resolver === r)
    #expect(loc.timeoutMs == 300)
    let own = LuaResolverConf()
    own.resolver = LuaResolver(servers: [("127.0.0.2", 53)], validMs: 30_000, ipv6: false)
    own.merge(from: http)
    #expect(own.resolver !== r)
    #expect(own.timeoutMs == 1000)
}

@Test func socketOptionIndexesFollowRestyCore() {
    #expect(LuaTCPSocket.socketOption(1) == .socketOption(.so_keepalive))
    #expect(LuaTCPSocket.socketOption(2) == .socketOption(.so_reuseaddr))
    #expect(LuaTCPSocket.socketOption(3) == .tcpOption(.tcp_nodelay))
    #expect(LuaTCPSocket.socketOption(4) == .socketOption(.so_sndbuf))
    #expect(LuaTCPSocket.socketOption(5) == .socketOption(.so_rcvbuf))
    #expect(LuaTCPSocket.socketOption(0) == nil)
    #expect(LuaTCPSocket.socketOption(6) == nil)
}
