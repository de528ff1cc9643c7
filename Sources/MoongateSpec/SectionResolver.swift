import Foundation

/// Turns a section's raw text into its value: applies `eval` and the Test::Base
/// filters in order, and expands `$TEST_NGINX_*` variables where Test::Nginx does.
public struct SectionResolver: Sendable {
    /// The Perl evaluator, seeded with the preamble's variables and the environment.
    public var perl: PerlString
    /// `TEST_NGINX_*` names and values for expansion.
    public var variables: [String: String]

    /// Creates a resolver.
    public init(perl: PerlString, variables: [String: String]) {
        self.perl = perl
        self.variables = variables
    }

    /// The section's value after its filters, without `$TEST_NGINX_*` expansion.
    public func value(_ section: SpecSection) throws -> PerlValue {
        var value = PerlValue.string(section.value)
        for modifier in section.modifiers {
            if modifier == "eval" {
                value = try perl.evaluate(value.stringValue)
            } else {
                value = value.filtered(modifier)
            }
        }
        return value
    }

    /// The section's value with `$TEST_NGINX_*` expanded in every string.
    public func expandedValue(_ section: SpecSection) throws -> PerlValue {
        try expand(value(section))
    }

    /// The section as expanded text (arrays are joined).
    public func text(_ section: SpecSection?) throws -> String {
        guard let section else { return "" }
        return try expandedValue(section).stringValue
    }

    /// Expands `$TEST_NGINX_NAME` in every string of a value.
    public func expand(_ value: PerlValue) throws -> PerlValue {
        switch value {
        case .string(let s): return .string(try expand(s))
        case .regex: return value
        case .array(let items): return .array(try items.map { try expand($0) })
        }
    }

    /// Expands `$TEST_NGINX_NAME` in text; an undefined name is an error, as in Test::Nginx.
    public func expand(_ text: String) throws -> String {
        guard text.contains("$TEST_NGINX_") else { return text }
        let re = try NSRegularExpression(pattern: #"\$(TEST_NGINX_[_A-Z0-9]+)"#)
        let ns = text as NSString
        var out = ""
        var last = 0
        for m in re.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
            let name = ns.substring(with: m.range(at: 1))
            guard let value = variables[name] else {
                throw PerlError(message: "no environment \(name) defined")
            }
            out += ns.substring(with: NSRange(location: last, length: m.range.location - last)) + value
            last = m.range.location + m.range.length
        }
        return out + ns.substring(from: last)
    }
}
