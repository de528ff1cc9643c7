import Testing
@testable import MoongateSpec

@Suite struct CheckerTests {
    let response = HTTPResponse(status: 200, statusLine: "HTTP/1.1 200 OK",
                                headers: [("Content-Type", "text/plain"), ("X-Foo", "bar")],
                                body: Array("hello\nworld\n".utf8))

    @Test func passingExpectations() {
        var e = Expectations()
        e.responseBody = .string("hello\nworld\n")
        e.responseBodyLike = .string("^hello")
        e.responseHeaders = .string("X-Foo: bar\n!X-Missing\n")
        e.responseHeadersLike = .string("Content-Type: text/.*")
        #expect(Checker(expectations: e).checkResponse(response, index: 0, count: 1).isEmpty)
    }

    @Test func headersLikeMatchesTheWholeValue() {
        // Test::Nginx compares with qr/^$val$/.
        var e = Expectations()
        e.responseHeadersLike = .string("Content-Type: text/")
        #expect(!Checker(expectations: e).checkResponse(response, index: 0, count: 1).isEmpty)
    }

    @Test func wrongBodyGivesDiff() {
        var e = Expectations()
        e.responseBody = .string("hello\nWORLD\n")
        let failures = Checker(expectations: e).checkResponse(response, index: 0, count: 1)
        #expect(failures.count == 1)
        let text = failures.joined()
        #expect(text.contains("response_body mismatch"))
        #expect(text.contains("- \"WORLD\""))
        #expect(text.contains("+ \"world\""))
        #expect(text.contains("@@ line 2 @@"))
        let line = TestResult(file: "t/x.t", name: "TEST 1: x", status: .failed(failures)).tap(number: 3, verbose: false)
        #expect(line.hasPrefix("not ok 3 - t/x.t TEST 1: x\n#   response_body mismatch"))
    }

    @Test func statusAndHeaderFailures() {
        var e = Expectations()
        e.errorCode = .string("404")
        e.responseHeaders = .string("X-Foo: baz\n!Content-Type\n")
        let failures = Checker(expectations: e).checkResponse(response, index: 0, count: 1)
        #expect(failures.count == 3)
        #expect(failures[0] == "status code: expected 404, got 200")
    }

    @Test func perRequestArrays() {
        var e = Expectations()
        e.responseBody = .array([.string("a"), .string("hello\nworld\n")])
        let c = Checker(expectations: e)
        #expect(c.checkResponse(response, index: 1, count: 2).isEmpty)
        #expect(c.checkResponse(response, index: 0, count: 2).count == 1)
    }

    @Test func errorLogChecks() {
        var e = Expectations()
        e.errorLog = LogPattern.list(from: .string("xyz: 42\nmissing thing\n"), splitLines: true)
        e.noErrorLog = [.substring("[error]"), .regex(source: #"alert\]"#, flags: "")]
        e.grepErrorLog = [.regex(source: #"n=\d"#, flags: "")]
        e.grepErrorLogOut = .string("n=1\nn=2\n")
        let lines = ["2024/01/01 [warn] 1#1: xyz: 42 n=1", "2024/01/01 [error] 1#1: bad n=2"]
        let failures = Checker(expectations: e).checkLog(lines)
        #expect(failures.count == 2)
        #expect(failures[0].contains("\"missing thing\" not found"))
        #expect(failures[1].contains("no_error_log: pattern \"[error]\" found"))
    }

    @Test func ignoreResponseSkipsChecks() {
        var e = Expectations()
        e.errorCode = .string("500")
        e.ignoreResponse = true
        #expect(Checker(expectations: e).checkResponse(response, index: 0, count: 1).isEmpty)
    }

    @Test func timeouts() {
        #expect(BlockPlan.seconds("500ms") == 0.5)
        #expect(BlockPlan.seconds("3") == 3)
        #expect(BlockPlan.seconds("1.5s") == 1.5)
        #expect(BlockPlan.seconds(nil) == nil)
    }
}

@Suite struct CheckerPortTests {
    @Test func serverPortIsSubstituted() {
        var e = Expectations()
        e.serverPort = 1984
        e.responseBody = .string("port=$ServerPort\n")
        e.responseBodyLike = .string("^port=$ServerPortForClient$")
        let r = HTTPResponse(status: 200, body: Array("port=1984\n".utf8))
        #expect(Checker(expectations: e).checkResponse(r, index: 0, count: 1).isEmpty)
    }
}
