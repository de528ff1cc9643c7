import Foundation

/// Everything a block needs before the server starts, resolved from its sections:
/// the config text, user files, request bytes, expectations and timings.
public struct BlockPlan: Sendable {
    /// The nginx.conf to write.
    public var config: String
    /// Files to write under `html/`, by relative path.
    public var userFiles: [(String, String)]
    /// One entry per connection, sent in order.
    public var exchanges: [PlannedExchange]
    /// What to check.
    public var expectations: Expectations
    /// The client timeout in seconds (`--- timeout`, default 3).
    public var timeout: Double
    /// Seconds to wait before reading the error log (`--- wait`).
    public var wait: Double
    /// `--- tcp_listen` and friends: a mock TCP server for the block, or nil.
    public var tcpMock: TCPMock.Spec? = nil

    /// Resolves a block; throws ``PerlError`` for Perl it cannot evaluate.
    public init(block: SpecBlock, preamble: SpecPreamble, resolver: SectionResolver,
                serverRoot: String, port: Int, loadModules: [String]) throws {
        var input = ConfigInput(serverRoot: serverRoot, port: port, preamble: preamble)
        input.loadModules = loadModules
        input.mainConfig = try resolver.text(block.section("main_config"))
        input.httpConfig = try resolver.text(block.section("http_config"))
        for phase in ["init_by_lua_block", "init_worker_by_lua_block"] {
            if let s = block.section(phase) {
                input.httpConfig += "\n\(phase) {\n\(try resolver.text(s))\n}\n"
            }
        }
        input.config = try resolver.text(block.section("config"))
        input.postMainConfig = try resolver.text(block.section("post_main_config"))
        if let level = block.section("log_level") {
            input.logLevel = try resolver.value(level).stringValue.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        config = ConfigWriter.render(input)
        userFiles = try BlockPlan.userFiles(block.section("user_files"), resolver: resolver)
        let moreHeaders = try resolver.text(block.section("more_headers"))
        let bodyOverride = try block.section("request_body").map { try resolver.expandedValue($0).stringValue }
        exchanges = []
        if let s = block.section("pipelined_requests") {
            let requests = try resolver.expandedValue(s).elements.map(\.stringValue)
            exchanges = [RequestBuilder.pipelined(requests, moreHeaders: moreHeaders)]
        } else if let s = block.section("raw_request") {
            let delay = try BlockPlan.seconds(
                block.section("raw_request_middle_delay").map { try resolver.value($0).stringValue }) ?? 0
            let pieces = try resolver.expandedValue(s).elements.map(\.stringValue)
            exchanges = [RequestBuilder.raw(pieces: pieces, delay: delay)]
        } else if let s = block.section("request") {
            let value = try resolver.expandedValue(s)
            exchanges = value.elements.map { element in
                var text = element.stringValue
                // Test::Nginx trims a plain request; an eval'd one is taken as written.
                if !s.isEval { text = text.trimmingCharacters(in: .whitespacesAndNewlines) }
                else { text = String(text.drop(while: { $0 == " " || $0 == "\n" || $0 == "\t" })) }
                return RequestBuilder.build(text, moreHeaders: moreHeaders, body: bodyOverride)
            }
        }
        expectations = try Expectations(block: block, resolver: resolver, port: port)
        timeout = try BlockPlan.seconds(block.section("timeout").map { try resolver.value($0).stringValue }) ?? 3
        wait = try BlockPlan.seconds(block.section("wait").map { try resolver.value($0).stringValue }) ?? 0
        if let listen = block.section("tcp_listen") {
            let port = Int(try resolver.expandedValue(listen).stringValue.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            let len = try block.section("tcp_query_len").map {
                Int(try resolver.value($0).stringValue.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            }
            let reply = try block.section("tcp_reply").map { Array(try resolver.expandedValue($0).stringValue.utf8) }
            tcpMock = TCPMock.Spec(port: port, queryLength: len, reply: reply, noClose: block.has("tcp_no_close"))
            tcpMock?.replyDelay = try BlockPlan.seconds(
                block.section("tcp_reply_delay").map { try resolver.value($0).stringValue }) ?? 0
        }
    }

    /// Parses `3`, `1.5`, `500ms` or `2s` as seconds.
    public static func seconds(_ text: String?) -> Double? {
        guard var t = text?.trimmingCharacters(in: .whitespacesAndNewlines), !t.isEmpty else { return nil }
        var scale = 1.0
        if t.hasSuffix("ms") { t.removeLast(2); scale = 0.001 } else if t.hasSuffix("s") { t.removeLast() }
        return Double(t).map { $0 * scale }
    }

    /// Splits `>>> path` blocks (or an eval'd array of `[path, content]` pairs).
    static func userFiles(_ section: SpecSection?, resolver: SectionResolver) throws -> [(String, String)] {
        guard let section else { return [] }
        let value = try resolver.expandedValue(section)
        if section.isEval {
            var files: [(String, String)] = []
            for item in value.elements {
                let pair = item.elements
                if pair.count >= 2 { files.append((pair[0].stringValue, pair[1].stringValue)) }
            }
            return files
        }
        var files: [(String, String)] = []
        var name: String?
        var lines: [String] = []
        func flush() {
            if let name { files.append((name, lines.map { $0 + "\n" }.joined())) }
        }
        for line in value.stringValue.components(separatedBy: "\n") {
            if line.hasPrefix(">>> ") {
                flush()
                // A trailing number is an mtime in Test::Nginx; the path is the first word.
                name = String(line.dropFirst(4)).split(separator: " ").first.map(String.init)
                lines = []
            } else if name != nil {
                lines.append(line)
            }
        }
        if lines.last == "" { lines.removeLast() }
        flush()
        return files
    }
}
