/// nginx's configuration tokenizer (`ngx_conf_read_token`), plus the Lua-aware block
/// reader that lua-nginx-module adds for `*_by_lua_block`.
struct ConfLexer {
    enum Token {
        case word(ConfArgument, line: Int)
        case semicolon
        case blockStart
        case blockEnd
        case eof
    }

    enum Terminator { case semicolon, blockStart, blockEnd, eof }

    let bytes: [UInt8]
    let file: String
    var pos = 0
    var line = 1

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    private func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }

    private var here: SourceLocation { SourceLocation(file: file, line: line) }

    mutating func next() throws -> Token {
        // Skip white space and comments.
        while pos < bytes.count {
            let c = bytes[pos]
            if c == 0x0A { line += 1; pos += 1; continue }
            if isSpace(c) { pos += 1; continue }
            if c == UInt8(ascii: "#") {
                while pos < bytes.count && bytes[pos] != 0x0A { pos += 1 }
                continue
            }
            break
        }
        guard pos < bytes.count else { return .eof }
        let c = bytes[pos]
        switch c {
        case UInt8(ascii: ";"): pos += 1; return .semicolon
        case UInt8(ascii: "{"): pos += 1; return .blockStart
        case UInt8(ascii: "}"): pos += 1; return .blockEnd
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            let startLine = line
            let quote = c
            pos += 1
            var out: [UInt8] = []
            while true {
                guard pos < bytes.count else {
                    throw ConfigError("unexpected end of file, expecting \";\" or \"}\"", at: here)
                }
                let d = bytes[pos]
                if d == 0x0A { line += 1 }
                if d == UInt8(ascii: "\\") && pos + 1 < bytes.count {
                    let e = bytes[pos + 1]
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "\\"):
                        out.append(e)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    default:
                        out.append(d)
                        out.append(e)
                    }
                    if e == 0x0A { line += 1 }
                    pos += 2
                    continue
                }
                if d == quote { pos += 1; break }
                out.append(d)
                pos += 1
            }
            if pos < bytes.count {
                let n = bytes[pos]
                // nginx lets ")" follow a quoted word (`if ($a = "b")`); it starts a new word.
                if !(isSpace(n) || n == UInt8(ascii: ";") || n == UInt8(ascii: "{") || n == UInt8(ascii: ")")) {
                    throw ConfigError("unexpected \"\(Character(UnicodeScalar(n)))\"", at: here)
                }
            }
            return .word(ConfArgument(String(decoding: out, as: UTF8.self), quoted: true), line: startLine)
        default:
            let startLine = line
            var out: [UInt8] = []
            var lastWasDollar = false
            var inVarBrace = false
            while pos < bytes.count {
                let d = bytes[pos]
                if inVarBrace {
                    out.append(d)
                    pos += 1
                    if d == UInt8(ascii: "}") { inVarBrace = false }
                    continue
                }
                if d == UInt8(ascii: "{") && lastWasDollar {
                    out.append(d)
                    pos += 1
                    inVarBrace = true
                    lastWasDollar = false
                    continue
                }
                if isSpace(d) || d == UInt8(ascii: ";") || d == UInt8(ascii: "{") || d == UInt8(ascii: "}") {
                    break
                }
                if d == UInt8(ascii: "\\") && pos + 1 < bytes.count {
                    let e = bytes[pos + 1]
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "\\"): out.append(e)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    default:
                        out.append(d)
                        out.append(e)
                    }
                    pos += 2
                    lastWasDollar = false
                    continue
                }
                lastWasDollar = d == UInt8(ascii: "$")
                out.append(d)
                pos += 1
            }
            return .word(ConfArgument(String(decoding: out, as: UTF8.self)), line: startLine)
        }
    }

    /// Reads a Lua body after its opening `{` up to the matching `}`, skipping braces
    /// inside strings, long strings and comments.
    mutating func readLuaBlock() throws -> String {
        let start = pos
        let startLine = line
        var depth = 1
        while pos < bytes.count {
            let c = bytes[pos]
            switch c {
            case 0x0A:
                line += 1
                pos += 1
            case UInt8(ascii: "{"):
                depth += 1
                pos += 1
            case UInt8(ascii: "}"):
                depth -= 1
                if depth == 0 {
                    let body = String(decoding: bytes[start..<pos], as: UTF8.self)
                    pos += 1
                    return body
                }
                pos += 1
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                pos += 1
                while pos < bytes.count && bytes[pos] != c {
                    if bytes[pos] == UInt8(ascii: "\\") { pos += 1 }
                    if pos < bytes.count && bytes[pos] == 0x0A { line += 1 }
                    pos += 1
                }
                pos += 1
            case UInt8(ascii: "["):
                if let level = longBracketLevel(at: pos) {
                    try skipLongBracket(level: level)
                } else {
                    pos += 1
                }
            case UInt8(ascii: "-"):
                if pos + 1 < bytes.count && bytes[pos + 1] == UInt8(ascii: "-") {
                    pos += 2
                    if pos < bytes.count && bytes[pos] == UInt8(ascii: "["), let level = longBracketLevel(at: pos) {
                        try skipLongBracket(level: level)
                    } else {
                        while pos < bytes.count && bytes[pos] != 0x0A { pos += 1 }
                    }
                } else {
                    pos += 1
                }
            default:
                pos += 1
            }
        }
        throw ConfigError(
            "Lua code block missing the closing long bracket \"}\"", at: SourceLocation(file: file, line: startLine))
    }

    private func longBracketLevel(at p: Int) -> Int? {
        var q = p + 1
        var level = 0
        while q < bytes.count && bytes[q] == UInt8(ascii: "=") {
            level += 1
            q += 1
        }
        if q < bytes.count && bytes[q] == UInt8(ascii: "[") { return level }
        return nil
    }

    private mutating func skipLongBracket(level: Int) throws {
        let startLine = line
        pos += level + 2
        while pos < bytes.count {
            if bytes[pos] == 0x0A { line += 1 }
            if bytes[pos] == UInt8(ascii: "]") {
                var q = pos + 1
                var l = 0
                while q < bytes.count && bytes[q] == UInt8(ascii: "=") {
                    l += 1
                    q += 1
                }
                if l == level && q < bytes.count && bytes[q] == UInt8(ascii: "]") {
                    pos = q + 1
                    return
                }
            }
            pos += 1
        }
        throw ConfigError("Lua code block missing the closing long bracket", at: SourceLocation(file: file, line: startLine))
    }
}
