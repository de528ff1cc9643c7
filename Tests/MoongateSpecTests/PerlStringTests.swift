import Testing
@testable import MoongateSpec

@Suite struct PerlStringTests {
    let perl = PerlString(variables: ["HttpConfig": "lua_shared_dict d 1m;"], environment: ["HOME": "/root"])

    @Test func doubleQuotedEscapes() throws {
        #expect(try perl.evaluate(#""GET /t\r\nHost: a\r\n\r\n""#) == .string("GET /t\r\nHost: a\r\n\r\n"))
        #expect(try perl.evaluate(#""tab\there \"q\" \x41\x{42} \$x""#) == .string("tab\there \"q\" AB $x"))
    }

    @Test func singleQuotedIsLiteral() throws {
        #expect(try perl.evaluate(#"'a\nb \'c\' \\'"#) == .string("a\\nb 'c' \\"))
        #expect(try perl.evaluate("q{a {b} c}") == .string("a {b} c"))
    }

    @Test func concatenationAndRepetition() throws {
        #expect(try perl.evaluate(#""a" x 3 . "b""#) == .string("aaab"))
        #expect(try perl.evaluate(#""ab" x (2 * 3)"#) == .string("abababababab"))
        #expect(try perl.evaluate(#""a" x 1024"#).stringValue.count == 1024)
        #expect(try perl.evaluate(#"'x' . "\n""#) == .string("x\n"))
    }

    @Test func arraysAndLists() throws {
        #expect(try perl.evaluate(#"["GET /a", "GET /b",]"#) == .array([.string("GET /a"), .string("GET /b")]))
        #expect(try perl.evaluate(#"[("GET /t") x 2]"#) == .array([.string("GET /t"), .string("GET /t")]))
        #expect(try perl.evaluate("[[\"a.txt\" => \"A\"]]") == .array([.array([.string("a.txt"), .string("A")])]))
        #expect(try perl.evaluate("qw(a b c)") == .array([.string("a"), .string("b"), .string("c")]))
    }

    @Test func regexLiterals() throws {
        #expect(try perl.evaluate(#"qr/foo \d+\/bar/s"#) == .regex(source: #"foo \d+\/bar"#, flags: "s"))
        #expect(try perl.evaluate("qr{a{2}}i") == .regex(source: "a{2}", flags: "i"))
        let list = try perl.evaluate(#"[qr/a/, "b"]"#)
        #expect(list.elements.count == 2)
    }

    @Test func variablesAndComments() throws {
        #expect(try perl.evaluate("$::HttpConfig . \"\\n\" # comment") == .string("lua_shared_dict d 1m;\n"))
        #expect(try perl.evaluate(#""home=$ENV{HOME}""#) == .string("home=/root"))
        #expect(try perl.evaluate("\"$HttpConfig\";") == .string("lua_shared_dict d 1m;"))
    }

    @Test func unsupportedPerlThrows() {
        #expect(throws: PerlError.self) { try perl.evaluate("join(',', 1, 2)") }
        #expect(throws: PerlError.self) { try perl.evaluate(#""$unknown""#) }
        #expect(throws: PerlError.self) { try perl.evaluate(#""unterminated"#) }
    }

    @Test func filters() {
        #expect(PerlValue.string("a\r\n").filtered("chomp") == .string("a\r"))
        #expect(PerlValue.string("ab").filtered("chop") == .string("a"))
        #expect(PerlValue.array([.string("x\n")]).filtered("chomp") == .array([.string("x")]))
    }
}
