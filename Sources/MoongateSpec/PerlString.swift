import Foundation

/// Evaluates the small subset of Perl found in Test::Nginx specs: string literals
/// (`'...'`, `"..."`, `q{}`, `qq{}`), `qr/.../flags`, `qw()`, arrays `[...]`,
/// parenthesised lists, `.` concatenation, `x` repetition, here-documents and the
/// variables `$::Name`, `$Name` and `$ENV{NAME}`.
///
/// Anything else (function calls, arbitrary code) throws ``PerlError`` so that the
/// runner can skip the test with a reason instead of guessing.
public struct PerlString: Sendable {
    /// Perl scalar variables visible to the expression, by name without the sigil.
    public var variables: [String: String]
    /// The environment seen through `$ENV{NAME}`.
    public var environment: [String: String]
    /// When true, unknown `$name` inside double quotes stay literal instead of throwing.
    public var lenient: Bool

    /// Creates an evaluator with the given variables and environment.
    public init(variables: [String: String] = [:], environment: [String: String] = [:], lenient: Bool = false) {
        self.variables = variables
        self.environment = environment
        self.lenient = lenient
    }

    /// Evaluates a whole expression; a trailing `;` and comments are allowed.
    public func evaluate(_ source: String) throws -> PerlValue {
        var p = PerlParser(bytes: Array(source.utf8), env: self)
        let item = try p.parseExpression()
        p.skipSpace()
        if p.peek() == UInt8(ascii: ";") { p.pos += 1 }
        p.skipSpace()
        guard p.atEnd else { throw p.error("unexpected text") }
        return item.value
    }

    /// Evaluates one expression starting at `offset` in `bytes` and returns the value
    /// and the offset just past it (before any `;`).
    public func evaluatePrefix(_ bytes: [UInt8], from offset: Int) throws -> (PerlValue, Int) {
        var p = PerlParser(bytes: bytes, env: self)
        p.pos = offset
        let item = try p.parseExpression()
        return (item.value, p.pos)
    }

    /// Interpolates text as the body of a double-quoted string (escapes and variables).
    public func interpolate(_ text: String) throws -> String {
        var p = PerlParser(bytes: Array(text.utf8), env: self)
        return try p.interpolated(Array(text.utf8))
    }
}

/// Why a Perl expression could not be evaluated.
public struct PerlError: Error, CustomStringConvertible, Equatable {
    /// A human-readable reason, quoting the text near the failure.
    public var message: String
    /// The message.
    public var description: String { message }
}
