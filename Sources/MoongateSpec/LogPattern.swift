import Foundation

/// A pattern matched against single lines: a plain substring or a Perl-style regex.
public enum LogPattern: Sendable, CustomStringConvertible {
    /// Matches lines containing the text.
    case substring(String)
    /// Matches lines the regex finds a match in; `source` is kept for messages.
    case regex(source: String, flags: String)

    /// Builds patterns from a section value: text gives one pattern per non-empty line,
    /// an eval'd string one pattern, a regex one regex, an array one per element.
    public static func list(from value: PerlValue, splitLines: Bool) -> [LogPattern] {
        switch value {
        case .string(let s):
            if splitLines {
                return s.components(separatedBy: "\n").filter { !$0.isEmpty }.map { .substring($0) }
            }
            return s.isEmpty ? [] : [.substring(s)]
        case .regex(let source, let flags):
            return [.regex(source: source, flags: flags)]
        case .array(let items):
            return items.flatMap { list(from: $0, splitLines: false) }
        }
    }

    /// Compiles a Perl regex source with its `qr//` flags.
    public static func compile(_ source: String, flags: String) throws -> NSRegularExpression {
        var options: NSRegularExpression.Options = []
        if flags.contains("s") { options.insert(.dotMatchesLineSeparators) }
        if flags.contains("m") { options.insert(.anchorsMatchLines) }
        if flags.contains("i") { options.insert(.caseInsensitive) }
        if flags.contains("x") { options.insert(.allowCommentsAndWhitespace) }
        return try NSRegularExpression(pattern: source, options: options)
    }

    /// True when the pattern matches `line`.
    public func matches(_ line: String) -> Bool {
        switch self {
        case .substring(let s):
            return line.contains(s)
        case .regex(let source, let flags):
            guard let re = try? LogPattern.compile(source, flags: flags) else { return false }
            return re.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil
        }
    }

    /// The texts this pattern picks out of `line`, for `--- grep_error_log`.
    public func grep(_ line: String) -> [String] {
        switch self {
        case .substring(let s):
            return line.contains(s) ? [s] : []
        case .regex(let source, let flags):
            guard let re = try? LogPattern.compile(source, flags: flags) else { return [] }
            return re.matches(in: line, range: NSRange(line.startIndex..., in: line)).compactMap {
                Range($0.range, in: line).map { String(line[$0]) }
            }
        }
    }

    /// The pattern as written, for messages.
    public var description: String {
        switch self {
        case .substring(let s): return "\"\(s)\""
        case .regex(let source, let flags): return "qr/\(source)/\(flags)"
        }
    }
}
