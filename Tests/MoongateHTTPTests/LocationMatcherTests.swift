import Foundation
import Testing
@testable import MoongateHTTP

/// Loads a server block's locations and returns a matcher for URIs -> location names.
private func matcher(_ locations: String) throws -> (String) -> String {
    let dir = NSTemporaryDirectory() + "mgloc-\(getpid())-\(UInt32.random(in: 0...UInt32.max))/"
    try FileManager.default.createDirectory(atPath: dir + "conf", withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let conf = "events {}\nhttp {\n server {\n listen 127.0.0.1:1;\n\(locations)\n }\n}\n"
    try conf.write(toFile: dir + "conf/nginx.conf", atomically: true, encoding: .utf8)
    let cycle = try ConfigLoader.load(prefix: dir, confPath: dir + "conf/nginx.conf")
    let server = cycle.http!.servers[0]
    return { uri in
        let found = LocationMatcher.find(in: server.serverLevel, uri: uri)
        guard let l = found.location else { return "none" }
        switch l.match {
        case .exact(let s): return "=" + s
        case .prefix(let s): return s
        case .prefixNoRegex(let s): return "^~" + s
        case .regex(let re, let ci): return (ci ? "~*" : "~") + re.pattern
        default: return "?"
        }
    }
}

/// ConfigLoader keeps global tables: these tests run one at a time.
@Suite(.serialized) struct LocationMatcherTests {
@Test func exactPrefixAndRegexOrder() throws {
    let m = try matcher(
        """
        location = /a { }
        location /a { }
        location /a/b { }
        location ^~ /static/ { }
        location ~ \\.php$ { }
        location ~* \\.JPG$ { }
        location ~ ^/a/b/c { }
        """)
    #expect(m("/a") == "=/a")
    #expect(m("/ab") == "/a")
    #expect(m("/a/b/x") == "/a/b")
    #expect(m("/a/b/c") == "~^/a/b/c")
    #expect(m("/a/x.php") == "~\\.php$")
    #expect(m("/static/x.php") == "^~/static/")
    #expect(m("/pic.jpg") == "~*\\.JPG$")
    #expect(m("/zzz") == "none")
}

@Test func nestedLocations() throws {
    let m = try matcher(
        """
        location /n/ {
            location /n/deep/ { }
            location ~ \\.txt$ { }
        }
        location ~ \\.txt$ { }
        """)
    #expect(m("/n/x") == "/n/")
    #expect(m("/n/deep/y") == "/n/deep/")
    // The nested regex wins over the outer one.
    #expect(m("/n/deep/y.txt") == "~\\.txt$")
    #expect(m("/other.txt") == "~\\.txt$")
}

@Test func regexCapturesAreReported() throws {
    let dir = NSTemporaryDirectory() + "mgloc2-\(getpid())/"
    try FileManager.default.createDirectory(atPath: dir + "conf", withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let conf = "events {}\nhttp { server { listen 127.0.0.1:1; location ~ ^/u/(\\d+)$ { } } }\n"
    try conf.write(toFile: dir + "conf/nginx.conf", atomically: true, encoding: .utf8)
    let cycle = try ConfigLoader.load(prefix: dir, confPath: dir + "conf/nginx.conf")
    let found = LocationMatcher.find(in: cycle.http!.servers[0].serverLevel, uri: "/u/42")
    #expect(found.regex != nil)
    #expect(found.ranges.count == 2)
    #expect(found.ranges[1] == 3..<5)
}
}
