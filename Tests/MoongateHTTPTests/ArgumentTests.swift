import Testing

@testable import MoongateHTTP

/// `$arg_NAME` lookup (nginx's ngx_http_arg), done on bytes.
@Suite struct ArgumentTests {
    @Test func findsTheFirstPairCaseInsensitively() {
        #expect(Variables.argument("user", in: "a=1&USER=bob&user=eve") == "bob")
        #expect(Variables.argument("a", in: "a=1&b=2") == "1")
        #expect(Variables.argument("b", in: "a=1&b=2") == "2")
    }

    @Test func emptyAndMissingValues() {
        #expect(Variables.argument("flag", in: "x=1&flag&y=2") == "")
        #expect(Variables.argument("v", in: "v=") == "")
        #expect(Variables.argument("nope", in: "a=1&b=2") == nil)
        #expect(Variables.argument("a", in: "") == nil)
        #expect(Variables.argument("a", in: "&&&a=3&") == "3")
    }

    @Test func namesMustMatchWhole() {
        #expect(Variables.argument("ab", in: "a=1&abc=2&ab=3") == "3")
        #expect(Variables.argument("a", in: "ab=1") == nil)
        #expect(Variables.argument("k", in: "k=v=w") == "v=w")
        #expect(Variables.argument("é", in: "É=1&é=2") == "2")  // ASCII case folding only, as ngx_strncasecmp
    }
}
