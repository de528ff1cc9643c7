import Foundation
import Testing

/// `moongate -v -V -t -T -q -s` as nginx behaves.
@Suite(.serialized) struct CommandLineTests {
    @Test func versionFlags() throws {
        let h = try BinaryHarness()
        var r = try h.run(["-v"])
        #expect(r.status == 0)
        #expect(r.stderr.hasPrefix("nginx version: nginx/"))
        #expect(!r.stderr.contains("configure arguments:"))
        r = try h.run(["-V"])
        #expect(r.status == 0)
        #expect(r.stdout.isEmpty)
        // nginx's lines and order (ngx_show_version_info).
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        #expect(lines.first == "nginx version: nginx/1.27.1 (moongate 0.1.0)")
        #expect(lines.count > 1 && lines[1].hasPrefix("built by swiftc 6."))
        #expect(lines.count > 2 && lines[2].hasPrefix("built with OpenSSL 3."))
        #expect(lines.count > 3 && lines[3] == "TLS SNI support enabled")
        #expect(lines.count > 4 && lines[4].hasPrefix("configure arguments: --prefix="))
        r = try h.run(["-v"])
        #expect(r.stderr == "nginx version: nginx/1.27.1 (moongate 0.1.0)\n")
    }

    @Test func testGoodConfig() throws {
        let h = try BinaryHarness()
        try h.writeConfig(h.config())
        var r = try h.run(["-t"])
        #expect(r.status == 0)
        #expect(r.stderr.contains("nginx: the configuration file \(h.confPath) syntax is ok"))
        #expect(r.stderr.contains("nginx: configuration file \(h.confPath) test is successful"))
        r = try h.run(["-t", "-q"])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        r = try h.run(["-tq"])
        #expect(r.status == 0 && r.stderr.isEmpty)
    }

    @Test func testBadConfigNamesFileAndLine() throws {
        let h = try BinaryHarness()
        try h.writeConfig("events {}\nhttp {\n    foo bar;\n}\n")
        var r = try h.run(["-t"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("nginx: [emerg] unknown directive \"foo\" in \(h.confPath):3"))
        #expect(r.stderr.contains("nginx: configuration file \(h.confPath) test failed"))
        // -q does not hide errors.
        r = try h.run(["-t", "-q"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("[emerg] unknown directive"))
        // Starting refuses too.
        r = try h.run([])
        #expect(r.status == 1)
        #expect(r.stderr.contains("nginx: [emerg] unknown directive \"foo\" in \(h.confPath):3"))
    }

    @Test func unexpectedEndOfFile() throws {
        let h = try BinaryHarness()
        try h.writeConfig("events {}\nhttp {\n    server {\n")
        let r = try h.run(["-t"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("[emerg] unexpected end of file, expecting \"}\" in \(h.confPath):4"))
    }

    @Test func dumpIncludesEveryFile() throws {
        let h = try BinaryHarness()
        let main = "events {}\nhttp {\n    include conf.d/*.conf;\n}\n"
        try FileManager.default.createDirectory(atPath: h.prefix + "conf/conf.d", withIntermediateDirectories: true)
        try h.writeConfig(main)
        try h.writeConfig("server { listen 127.0.0.1:\(h.port); }\n", name: "conf.d/a.conf")
        let r = try h.run(["-T"])
        #expect(r.status == 0)
        let expected =
            "# configuration file \(h.confPath):\n\(main)\n"
            + "# configuration file \(h.prefix)conf/conf.d/a.conf:\nserver { listen 127.0.0.1:\(h.port); }\n\n"
        #expect(r.stdout == expected)
        #expect(r.stderr.contains("test is successful"))
    }

    @Test func invalidOption() throws {
        let h = try BinaryHarness()
        var r = try h.run(["-x"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("nginx: invalid option: \"x\""))
        r = try h.run(["-s", "bogus"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("invalid option: \"-s bogus\""))
        r = try h.run(["-c"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("option \"-c\" requires file name"))
    }

    @Test func signalWithoutPidFile() throws {
        let h = try BinaryHarness()
        try h.writeConfig(h.config())
        let r = try h.run(["-s", "reload"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("[error] open() \"\(h.prefix)logs/nginx.pid\" failed (2: No such file or directory)"))
    }

    @Test func signalStopAndReload() throws {
        let h = try BinaryHarness()
        try h.writeConfig(h.config(body: "one", workers: 1))
        try h.start()
        defer { h.stop() }
        try h.writeConfig(h.config(body: "two", workers: 1))
        var r = try h.run(["-s", "reload"])
        #expect(r.status == 0)
        #expect(h.eventually(5) { h.get("/t") == "two" })
        r = try h.run(["-s", "stop"])
        #expect(r.status == 0)
        #expect(h.waitExit(seconds: 3))
    }
}
