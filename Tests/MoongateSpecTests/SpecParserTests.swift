import Testing
@testable import MoongateSpec

@Suite struct SpecParserTests {
    let sample = """
    # vim:set ft= ts=4 sw=4 et fdm=marker:
    use Test::Nginx::Socket::Lua;

    #log_level('info');
    repeat_each(2);
    no_long_string();
    log_level('warn');
    master_on();
    workers(2);
    env_to_nginx("FOO", "BAR=baz");

    our $HttpConfig = qq{
        lua_package_path "$pwd/lib/?.lua;;";
        lua_shared_dict d 1m;
    };
    our $Other = <<_EOC_;
    x \\$y
    _EOC_

    run_tests();

    __DATA__

    === TEST 1: basic
    --- config
        location /t {
            return 200 "hi";
        }
    --- request
    GET /t
    --- response_body_like: 500 Internal Server Error
    --- error_code: 500
    --- skip_nginx: 6: < 1.13.8



    === TEST 2: modifiers
    --- SKIP
    --- response_body eval: "\\n"
    --- response_body_like chop
    \\Aok
    --- error_log eval
    qr/foo \\d+/
    """

    @Test func preambleSettings() {
        let file = SpecParser(environment: [:], workingDirectory: "/w").parse(sample)
        let p = file.preamble
        #expect(p.repeatEach == 2)
        #expect(p.noLongString)
        #expect(p.logLevel == "warn")
        #expect(p.masterProcess)
        #expect(p.workers == 2)
        #expect(p.envToNginx == ["FOO", "BAR=baz"])
        #expect(p.variables["HttpConfig"]?.contains("lua_package_path \"/w/lib/?.lua;;\";") == true)
        #expect(p.variables["HttpConfig"]?.contains("lua_shared_dict d 1m;") == true)
        #expect(p.variables["Other"] == "x $y\n")
    }

    @Test func blocksAndSections() {
        let file = SpecParser(environment: [:]).parse(sample)
        #expect(file.blocks.count == 2)
        let b = file.blocks[0]
        #expect(b.name == "TEST 1: basic")
        #expect(b.section("config")?.value == "    location /t {\n        return 200 \"hi\";\n    }\n")
        #expect(b.section("request")?.value == "GET /t\n")
        #expect(b.section("response_body_like")?.value == "500 Internal Server Error")
        #expect(b.section("error_code")?.value == "500")
        #expect(b.section("skip_nginx")?.value == "6: < 1.13.8")
        #expect(!b.isSkipped && !b.isOnly)
        let b2 = file.blocks[1]
        #expect(b2.isSkipped)
        #expect(b2.section("response_body")?.modifiers == ["eval"])
        #expect(b2.section("response_body")?.value == "\"\\n\"")
        #expect(b2.section("response_body_like")?.modifiers == ["chop"])
        #expect(b2.section("error_log")?.isEval == true)
    }

    @Test func trimKeepsOneFinalNewline() {
        #expect(SpecParser.trim("\n\nhello\n\n  \n") == "hello\n")
        #expect(SpecParser.trim("foo  \nbar\n") == "foo  \nbar\n")
        #expect(SpecParser.trim("\n  \n") == "")
        #expect(SpecParser.trim("  indented\n") == "  indented\n")
    }

    @Test func onlyBlocks() {
        let text = "=== TEST 1: a\n--- request\nGET /a\n=== TEST 2: b\n--- ONLY\n--- request\nGET /b\n"
        let file = SpecParser(environment: [:]).parse(text)
        #expect(file.blocks.filter(\.isOnly).map(\.name) == ["TEST 2: b"])
    }

    @Test func resolverAppliesFiltersAndExpandsVariables() throws {
        let resolver = SectionResolver(perl: PerlString(), variables: ["TEST_NGINX_SERVER_PORT": "1984"])
        let s = SpecSection(name: "response_body", modifiers: ["chomp"], value: "hi\n")
        #expect(try resolver.value(s) == .string("hi"))
        #expect(try resolver.expand("port $TEST_NGINX_SERVER_PORT;") == "port 1984;")
        #expect(throws: PerlError.self) { try resolver.expand("$TEST_NGINX_NOPE") }
        let e = SpecSection(name: "request", modifiers: ["eval"], value: "[\"GET /a\", \"GET /b\"]\n")
        #expect(try resolver.value(e) == .array([.string("GET /a"), .string("GET /b")]))
    }
}
