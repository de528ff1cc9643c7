import MoongateConfig
import MoongateCore

/// A configuration value with variables (`"$scheme://$host$request_uri"`), compiled once
/// into literal and variable parts (nginx's `ngx_http_complex_value_t`).
public struct ComplexValue {
    enum Part {
        case literal(String)
        case variable(String)
        case capture(Int)
    }

    var parts: [Part]
    /// The text as written.
    public let source: String

    /// A value without variables.
    public init(literal: String) {
        parts = [.literal(literal)]
        source = literal
    }

    /// Compiles `text`; throws for unknown variables like nginx (`unknown "foo" variable`).
    public init(_ text: String, at location: SourceLocation? = nil, checkVariables: Bool = true) throws {
        source = text
        parts = []
        var lit = ""
        let b = Array(text.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "$") && i + 1 < b.count {
                var j = i + 1
                var name = ""
                if b[j] == UInt8(ascii: "{") {
                    j += 1
                    while j < b.count && b[j] != UInt8(ascii: "}") { j += 1 }
                    if j >= b.count {
                        throw ConfigError("the closing bracket in \"\(String(decoding: b[(i+2)...], as: UTF8.self))\" variable is missing", at: location)
                    }
                    name = String(decoding: b[(i + 2)..<j], as: UTF8.self)
                    j += 1
                } else {
                    while j < b.count && (isVarChar(b[j])) { j += 1 }
                    name = String(decoding: b[(i + 1)..<j], as: UTF8.self)
                }
                if name.isEmpty {
                    lit.append("$")
                    i += 1
                    continue
                }
                if !lit.isEmpty {
                    parts.append(.literal(lit))
                    lit = ""
                }
                if let n = Int(name), name.count == 1 || name.allSatisfy({ $0.isNumber }) {
                    parts.append(.capture(n))
                } else {
                    if checkVariables && !Variables.isKnown(name) {
                        // A `set` further down the file may declare it: checked once the
                        // whole configuration is read, as nginx does (so no file:line).
                        Variables.pendingChecks.append(name)
                    }
                    parts.append(.variable(name.lowercased()))
                }
                i = j
                continue
            }
            lit.unicodeScalars.append(UnicodeScalar(b[i]))
            i += 1
            // Multi-byte UTF-8 is copied byte-wise below.
            if b[i - 1] >= 0x80 {
                lit.unicodeScalars.removeLast()
                var k = i - 1
                while k + 1 < b.count && b[k + 1] & 0xC0 == 0x80 { k += 1 }
                lit += String(decoding: b[(i - 1)...k], as: UTF8.self)
                i = k + 1
            }
        }
        if !lit.isEmpty || parts.isEmpty { parts.append(.literal(lit)) }
    }

    /// Whether the value contains no variables.
    public var isLiteral: Bool {
        parts.allSatisfy { if case .literal = $0 { return true } else { return false } }
    }

    /// Whether it uses regex captures.
    public var usesCaptures: Bool {
        parts.contains { if case .capture = $0 { return true } else { return false } }
    }

    /// Evaluates a `rewrite` replacement: as `ngx_http_script_copy_capture_code`, captures
    /// are escaped like args when the request URI was escaped (`%` or `+`) and the capture
    /// lands in the arguments (after a literal "?") or in a redirect.
    func evaluateRewrite(_ r: HTTPRequest, redirect: Bool) -> String {
        let rawPath = r.head.rawURI.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let quoted = rawPath.contains("%") || rawPath.contains("+")
        guard quoted, usesCaptures else { return evaluate(r) }
        var out = ""
        var inArgs = false
        for p in parts {
            switch p {
            case .literal(let s):
                out += s
                if s.contains("?") { inArgs = true }
            case .variable(let name): out += Variables.get(name, r) ?? ""
            case .capture(let n):
                let v = r.capture(n) ?? ""
                out += (inArgs || redirect) ? ComplexValue.escapeArgs(v) : v
            }
        }
        return out
    }

    /// nginx's `NGX_ESCAPE_ARGS`: space, `#`, `%`, `&`, `+`, `;`, `?`, controls and non-ASCII.
    static func escapeArgs(_ s: String) -> String {
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for c in s.utf8 {
            switch c {
            case 0...0x20, 0x7F...0xFF, UInt8(ascii: "#"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "+"),
                UInt8(ascii: ";"), UInt8(ascii: "?"):
                out += [UInt8(ascii: "%"), hex[Int(c >> 4)], hex[Int(c & 15)]]
            default:
                out.append(c)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Evaluates for a request.
    public func evaluate(_ r: HTTPRequest) -> String {
        if parts.count == 1, case .literal(let s) = parts[0] { return s }
        var out = ""
        for p in parts {
            switch p {
            case .literal(let s): out += s
            case .variable(let name): out += Variables.get(name, r) ?? ""
            case .capture(let n): out += r.capture(n) ?? ""
            }
        }
        return out
    }
}

@inline(__always) func isVarChar(_ c: UInt8) -> Bool {
    (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
        || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "_")
}
