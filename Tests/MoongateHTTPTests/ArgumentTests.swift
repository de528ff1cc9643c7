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

import MoongateCore

/// LogBytes.text keeps bytes that are not UTF-8 and leaves valid text alone.
@Suite struct LogBytesTextTests {
    func text(_ b: [UInt8]) -> String { b.withUnsafeBytes { LogBytes.text($0) } }

    @Test func validTextIsUnchanged() {
        for s in ["", "plain ascii text longer than eight", "café", "€ and 😀 mixed ✓", String(repeating: "é", count: 40)] {
            #expect(text(Array(s.utf8)) == s)
            #expect(s.utf8.withContiguousStorageIfAvailable { LogBytes.isValidUTF8(UnsafeRawBufferPointer($0)) } == true)
        }
    }

    @Test func invalidBytesRoundTrip() {
        let cases: [[UInt8]] = [
            [0x2F, 0x61, 0xFF], [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xED, 0xA0, 0x80], [0xC0, 0xAF],
            [0xF4, 0x90, 0x80, 0x80], Array("abcdefgh".utf8) + [0x80] + Array("ijklmnop".utf8),
        ]
        for b in cases {
            #expect(b.withUnsafeBytes { LogBytes.isValidUTF8($0) } == false)
            let s = text(b)
            #expect(LogBytes.withBytes(s) { Array($0) } == b)
        }
    }
}
