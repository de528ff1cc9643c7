import Foundation

/// Parses Test::Nginx spec files: the Perl preamble before `__DATA__` (only the
/// known settings calls) and the Test::Base blocks after it.
public struct SpecParser: Sendable {
    /// The environment used for `$ENV{...}` in the preamble.
    public var environment: [String: String]
    /// The directory `$pwd` / `cwd()` stands for.
    public var workingDirectory: String

    /// Creates a parser.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                workingDirectory: String = FileManager.default.currentDirectoryPath) {
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    /// Reads and parses the file at `path`.
    public func parseFile(at path: String) throws -> SpecFile {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return parse(text, path: path)
    }

    /// Parses spec text; a file without `__DATA__` is all data.
    public func parse(_ text: String, path: String = "-") -> SpecFile {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        var lines = normalized.components(separatedBy: "\n")
        var preambleText = ""
        var firstDataLine = 1
        if let idx = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "__DATA__" }) {
            preambleText = lines[..<idx].joined(separator: "\n")
            lines = Array(lines[(idx + 1)...])
            firstDataLine = idx + 2
        }
        let preamble = parsePreamble(preambleText)
        return SpecFile(path: path, preamble: preamble, blocks: parseBlocks(lines, firstLine: firstDataLine))
    }

    /// Splits data lines into blocks and sections.
    public func parseBlocks(_ lines: [String], firstLine: Int = 1) -> [SpecBlock] {
        var blocks: [SpecBlock] = []
        var current: SpecBlock?
        var header: (name: String, modifiers: [String], inline: String?, line: Int)?
        var body: [String] = []

        func flushSection() {
            guard let h = header else { return }
            let value = h.inline ?? SpecParser.trim(body.joined(separator: "\n") + (body.isEmpty ? "" : "\n"))
            current?.sections.append(SpecSection(name: h.name, modifiers: h.modifiers, value: value, line: h.line))
            header = nil
            body = []
        }
        func flushBlock() {
            flushSection()
            if let b = current { blocks.append(b) }
            current = nil
        }

        for (i, line) in lines.enumerated() {
            let lineNo = firstLine + i
            if line.hasPrefix("===") {
                flushBlock()
                let title = line.dropFirst(3).trimmingCharacters(in: .whitespaces)
                current = SpecBlock(name: title, line: lineNo)
            } else if current != nil, line.hasPrefix("---"), let h = SpecParser.sectionHeader(line) {
                flushSection()
                header = (h.0, h.1, h.2, lineNo)
            } else if header != nil {
                body.append(line)
            }
        }
        flushBlock()
        return blocks
    }

    /// Parses `--- name filters: inline value` into its parts.
    static func sectionHeader(_ line: String) -> (String, [String], String?)? {
        let rest = line.dropFirst(3).drop(while: { $0 == " " || $0 == "\t" })
        let name = rest.prefix(while: { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" })
        guard !name.isEmpty else { return nil }
        var tail = rest.dropFirst(name.count)
        var inline: String?
        if let colon = tail.firstIndex(of: ":") {
            inline = String(tail[tail.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" }))
            tail = tail[..<colon]
        }
        let modifiers = tail.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        return (String(name), modifiers, inline)
    }

    /// Test::Base's default `trim`: drop leading blank lines and trailing whitespace after
    /// the last newline, keeping that newline.
    public static func trim(_ text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        // \A([ \t]*\n)+ : leading blank lines.
        while let nl = scalars.firstIndex(of: "\n"), scalars[..<nl].allSatisfy({ $0 == " " || $0 == "\t" }) {
            scalars.removeSubrange(...nl)
        }
        // (?<=\n)\s*\z : whitespace after the first newline that follows the last content.
        guard let lastContent = scalars.lastIndex(where: { !CharacterSet.whitespacesAndNewlines.contains($0) }) else {
            return ""
        }
        if let nl = scalars[lastContent...].firstIndex(of: "\n") {
            scalars.removeSubrange((nl + 1)...)
        }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars)
        return String(out)
    }
}
