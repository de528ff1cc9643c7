import Foundation

/// A value produced by evaluating the small subset of Perl that spec files use in
/// `--- name eval` sections and in the preamble.
public enum PerlValue: Equatable, Sendable {
    /// A string (bytes decoded as UTF-8, invalid sequences replaced).
    case string(String)
    /// A regular expression literal `qr/source/flags`.
    case regex(source: String, flags: String)
    /// An array reference `[...]`, or a parenthesised list.
    case array([PerlValue])

    /// The value as a string; arrays join their elements, regexes give their source.
    public var stringValue: String {
        switch self {
        case .string(let s): return s
        case .regex(let source, _): return source
        case .array(let items): return items.map(\.stringValue).joined()
        }
    }

    /// The elements of an array, or the value itself as a one-element list.
    public var elements: [PerlValue] {
        if case .array(let items) = self { return items }
        return [self]
    }

    /// True when the value is an array.
    public var isArray: Bool {
        if case .array = self { return true }
        return false
    }

    /// Applies a Test::Base text filter (`chomp`, `chop`, `trim`) to every string inside.
    public func filtered(_ filter: String) -> PerlValue {
        switch self {
        case .string(let s):
            switch filter {
            case "chomp":
                // Unicode scalars, not Characters: "\r\n" is one Character in Swift.
                var u = s.unicodeScalars
                if u.last == "\n" { u.removeLast() }
                return .string(String(u))
            case "chop":
                var u = s.unicodeScalars
                if !u.isEmpty { u.removeLast() }
                return .string(String(u))
            case "trim": return .string(s.trimmingCharacters(in: .whitespacesAndNewlines))
            default: return self
            }
        case .regex: return self
        case .array(let items): return .array(items.map { $0.filtered(filter) })
        }
    }
}
