import Testing
import MoongateCore
#if canImport(Glibc)
import Glibc
#endif

private func tempPath(_ name: String) -> String {
    "/tmp/moongate-errlog-test-\(getpid())-\(name).log"
}

private func contents(_ path: String) -> String {
    guard let f = fopen(path, "r") else { return "" }
    defer { fclose(f) }
    var out = [UInt8]()
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        out += buf[0..<n]
    }
    return String(decoding: out, as: UTF8.self)
}

/// Two logs of one level chained (two error_log directives): each gets the lines its
/// level lets through; the chain is enabled for the most verbose of them.
@Test func chainedLogsFilterEachByItsLevel() throws {
    let a = tempPath("a"), b = tempPath("b")
    defer { unlink(a); unlink(b) }
    let head = try ErrorLog.opening(path: a, level: .warn)
    head.append(try ErrorLog.opening(path: b, level: .error))
    #expect(head.enabled(.warn))
    #expect(!head.enabled(.info))
    #expect(head.chainLevel == .warn)
    head.log(.warn, "a warning", connection: 3, context: ", client: 1.2.3.4")
    head.log(.error, "an error")
    head.log(.info, "dropped")
    let ta = contents(a), tb = contents(b)
    #expect(ta.contains("[warn] ") && ta.contains("*3 a warning, client: 1.2.3.4\n"))
    #expect(ta.contains("[error] ") && ta.contains("an error\n"))
    #expect(!tb.contains("a warning"))
    #expect(tb.contains("an error\n"))
    #expect(!ta.contains("dropped") && !tb.contains("dropped"))
}

/// A more verbose log later in the chain raises the chain's level; debug lines carry no
/// context (nginx runs its log handler for every level but debug).
@Test func chainLevelAndDebugLinesWithoutContext() throws {
    let a = tempPath("c"), b = tempPath("d")
    defer { unlink(a); unlink(b) }
    let head = try ErrorLog.opening(path: a, level: .error)
    head.append(try ErrorLog.opening(path: b, level: .debug))
    #expect(head.chainLevel == .debug)
    #expect(head.enabled(.debug))
    head.log(.debug, "a debug line", connection: 1, context: ", client: 1.2.3.4")
    #expect(!contents(a).contains("a debug line"))
    let tb = contents(b)
    #expect(tb.contains("*1 a debug line\n"))
    #expect(!tb.contains("client: 1.2.3.4"))
}

/// Logs of one file share its descriptor (nginx opens each file once); a file that
/// cannot be opened is an error in nginx's words.
@Test func oneDescriptorPerFileAndOpenErrors() throws {
    let a = tempPath("e")
    defer { unlink(a) }
    let x = try ErrorLog.opening(path: a, level: .warn)
    let y = try ErrorLog.opening(path: a, level: .debug)
    #expect(x.descriptor == y.descriptor)
    #expect(try ErrorLog.opening(path: "stderr", level: .warn).descriptor == 2)
    #expect(throws: CoreError.self) { try ErrorLog.opening(path: "/nonexistent-moongate-dir/x.log", level: .warn) }
    do {
        _ = try ErrorLog.opening(path: "/nonexistent-moongate-dir/x.log", level: .warn)
    } catch {
        #expect("\(error)" == "open() \"/nonexistent-moongate-dir/x.log\" failed (2: No such file or directory)")
    }
}
