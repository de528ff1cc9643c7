import Testing
@testable import MoongateHTTP

@Test func decodesPercentEscapes() {
    #expect(URINormalizer.split("/a%20b%41?x=%20")?.path == "/a bA")
    #expect(URINormalizer.split("/a%20b?x=%20")?.args == "x=%20")
    #expect(URINormalizer.split("/%zz") == nil)
    #expect(URINormalizer.split("/a%2") == nil)
    #expect(URINormalizer.split("/a%00b") == nil)
}

@Test func mergesSlashesAndDots() {
    #expect(URINormalizer.split("//a///b")?.path == "/a/b")
    #expect(URINormalizer.split("/a/./b/.")?.path == "/a/b/")
    #expect(URINormalizer.split("/a/b/../c")?.path == "/a/c")
    #expect(URINormalizer.split("/a/b/..")?.path == "/a/")
    #expect(URINormalizer.split("/a/%2e%2e/b")?.path == "/b")
    #expect(URINormalizer.split("/a/")?.path == "/a/")
    #expect(URINormalizer.split("/")?.path == "/")
    #expect(URINormalizer.split("//a//b", mergeSlashes: false)?.path == "//a//b")
}

@Test func dotDotBeyondRootIsRefused() {
    #expect(URINormalizer.split("/..") == nil)
    #expect(URINormalizer.split("/../etc/passwd") == nil)
    #expect(URINormalizer.split("/a/../../b") == nil)
    #expect(URINormalizer.split("/%2e%2e/x") == nil)
}

@Test func argsStayRaw() {
    let r = URINormalizer.split("/p?a=1&b=%2F&c")
    #expect(r?.path == "/p")
    #expect(r?.args == "a=1&b=%2F&c")
    #expect(URINormalizer.split("/p?")?.args == "")
    #expect(URINormalizer.split("/p")?.args == nil)
}
