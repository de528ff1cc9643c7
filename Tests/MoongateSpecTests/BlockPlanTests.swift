import Testing
@testable import MoongateSpec

@Suite struct BlockPlanTests {
    func plan(_ text: String, preamble: String = "") throws -> BlockPlan {
        let file = SpecParser(environment: [:], workingDirectory: "/w").parse(preamble + "\n__DATA__\n" + text)
        let runner = BlockRunner(options: RunnerOptions(environment: ["TEST_NGINX_EXTRA": "x1"]),
                                 serverRoot: "/srv", port: 1984, randomPorts: [2001])
        let vars = runner.variables(preamble: file.preamble)
        let resolver = SectionResolver(perl: PerlString(variables: file.preamble.variables), variables: vars)
        return try BlockPlan(block: file.blocks[0], preamble: file.preamble, resolver: resolver,
                             serverRoot: "/srv", port: 1984, loadModules: [])
    }

    @Test func configAndRequestsGetVariables() throws {
        let p = try plan("""
        === TEST 1: vars
        --- http_config eval: $::HttpConfig
        --- config
            location = /t { proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1; set $a $TEST_NGINX_EXTRA; }
        --- request
        GET /t?p=$TEST_NGINX_SERVER_PORT
        --- timeout: 250ms
        --- wait: 0.5
        """, preamble: "our $HttpConfig = qq{ lua_shared_dict d 1m; };")
        #expect(p.config.contains("proxy_pass http://127.0.0.1:2001; set $a x1;"))
        #expect(p.config.contains("lua_shared_dict d 1m;"))
        #expect(String(decoding: p.exchanges[0].bytes, as: UTF8.self).hasPrefix("GET /t?p=1984 HTTP/1.1\r\n"))
        #expect(p.timeout == 0.25)
        #expect(p.wait == 0.5)
    }

    @Test func userFilesAndArrays() throws {
        let p = try plan("""
        === TEST 1: files
        --- user_files
        >>> a.lua
        ngx.say(1)
        >>> sub/b.txt 1234
        B
        --- request eval
        ["GET /a", "POST /b\\nbody"]
        --- error_code eval
        [200, 201]
        """)
        #expect(p.userFiles.map(\.0) == ["a.lua", "sub/b.txt"])
        #expect(p.userFiles.map(\.1) == ["ngx.say(1)\n", "B\n"])
        #expect(p.exchanges.count == 2)
        #expect(String(decoding: p.exchanges[1].bytes, as: UTF8.self).hasSuffix("Content-Length: 4\r\n\r\nbody"))
        #expect(p.expectations.errorCode == .array([.string("200"), .string("201")]))
    }

    @Test func unsupportedPerlIsAnError() {
        #expect(throws: PerlError.self) {
            try plan("=== TEST 1: x\n--- config eval\nmy_sub()\n")
        }
    }

    @Test func skippedBlocksAreReported() {
        let file = SpecParser(environment: [:]).parse("=== TEST 1: a\n--- SKIP\n=== TEST 2: b\n--- udp_listen: 1\n")
        let runner = BlockRunner(options: RunnerOptions(environment: [:]), serverRoot: "/nonexistent", port: 1, randomPorts: [])
        #expect(runner.run(file.blocks[0], in: file).status == .skipped("--- SKIP"))
        #expect(runner.run(file.blocks[1], in: file).status == .skipped("unsupported section --- udp_listen"))
    }
}
