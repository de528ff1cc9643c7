import Foundation

extension PerlParser {
    /// Processes double-quote escapes and variable interpolation over raw bytes.
    mutating func interpolated(_ raw: [UInt8]) throws -> String {
        var out: [UInt8] = []
        var i = 0
        func hexValue(_ s: [UInt8]) -> UInt32? { UInt32(String(decoding: s, as: UTF8.self), radix: 16) }
        func appendScalar(_ v: UInt32) {
            if v < 0x100 {
                // Perl's "\xNN" is one byte; keep it as that byte, not as a code point.
                out.append(UInt8(v))
            } else if let u = Unicode.Scalar(v) {
                out += Array(String(Character(u)).utf8)
            }
        }
        while i < raw.count {
            let c = raw[i]
            if c == UInt8(ascii: "\\"), i + 1 < raw.count {
                let n = raw[i + 1]
                i += 2
                switch n {
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "a"): out.append(7)
                case UInt8(ascii: "e"): out.append(27)
                case UInt8(ascii: "0")...UInt8(ascii: "7"):
                    var digits = [n]
                    while digits.count < 3, i < raw.count, raw[i] >= 48, raw[i] <= 55 { digits.append(raw[i]); i += 1 }
                    appendScalar(UInt32(String(decoding: digits, as: UTF8.self), radix: 8) ?? 0)
                case UInt8(ascii: "x"):
                    if i < raw.count, raw[i] == UInt8(ascii: "{") {
                        var j = i + 1
                        while j < raw.count, raw[j] != UInt8(ascii: "}") { j += 1 }
                        appendScalar(hexValue(Array(raw[(i + 1)..<min(j, raw.count)])) ?? 0)
                        i = min(j + 1, raw.count)
                    } else {
                        var digits: [UInt8] = []
                        while digits.count < 2, i < raw.count, hexValue([raw[i]]) != nil { digits.append(raw[i]); i += 1 }
                        appendScalar(hexValue(digits) ?? 0)
                    }
                default: out.append(n)
                }
                continue
            }
            if c == UInt8(ascii: "$"), i + 1 < raw.count {
                var j = i + 1
                var braced = false
                if raw[j] == UInt8(ascii: "{") { braced = true; j += 1 }
                if j + 1 < raw.count, raw[j] == UInt8(ascii: ":"), raw[j + 1] == UInt8(ascii: ":") { j += 2 }
                let nameStart = j
                while j < raw.count, PerlParser.isIdent(raw[j]) { j += 1 }
                let name = String(decoding: raw[nameStart..<j], as: UTF8.self)
                if name.isEmpty || (name.first?.isNumber ?? false) {
                    out.append(c)
                    i += 1
                    continue
                }
                if braced { if j < raw.count, raw[j] == UInt8(ascii: "}") { j += 1 } }
                if name == "ENV", j < raw.count, raw[j] == UInt8(ascii: "{") {
                    var k = j + 1
                    while k < raw.count, raw[k] != UInt8(ascii: "}") { k += 1 }
                    let key = String(decoding: raw[(j + 1)..<min(k, raw.count)], as: UTF8.self)
                        .trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
                    out += Array((env.environment[key] ?? "").utf8)
                    i = min(k + 1, raw.count)
                    continue
                }
                if let value = env.variables[name] {
                    out += Array(value.utf8)
                } else if env.lenient {
                    out += raw[i..<j]
                } else {
                    throw PerlError(message: "unsupported Perl: unknown variable $\(name)")
                }
                i = j
                continue
            }
            out.append(c)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses `$::Name`, `$Name` or `$ENV{NAME}` at the cursor.
    mutating func variable() throws -> String {
        pos += 1
        if peek() == UInt8(ascii: ":"), peek(1) == UInt8(ascii: ":") { pos += 2 }
        let start = pos
        while PerlParser.isIdent(peek()) { pos += 1 }
        let name = String(decoding: bytes[start..<pos], as: UTF8.self)
        if name == "ENV", peek() == UInt8(ascii: "{") {
            pos += 1
            let keyStart = pos
            while let c = peek(), c != UInt8(ascii: "}") { pos += 1 }
            let key = String(decoding: bytes[keyStart..<pos], as: UTF8.self)
                .trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
            pos += 1
            return env.environment[key] ?? ""
        }
        guard let value = env.variables[name] else {
            throw PerlError(message: "unsupported Perl: unknown variable $\(name)")
        }
        return value
    }

    /// Parses `<<"END"`, `<<'END'`, `<<END` or `<<~END`: the body runs from the next
    /// line to the terminator line; the rest of the marker's line must be `;` or empty.
    mutating func hereDocument() throws -> String {
        pos += 2
        var indented = false
        if peek() == UInt8(ascii: "~") { indented = true; pos += 1 }
        var interpolate = true
        var tag: String
        if let q = peek(), q == UInt8(ascii: "\"") || q == UInt8(ascii: "'") {
            pos += 1
            interpolate = q == UInt8(ascii: "\"")
            let start = pos
            while let c = peek(), c != q { pos += 1 }
            tag = String(decoding: bytes[start..<pos], as: UTF8.self)
            pos += 1
        } else {
            let start = pos
            while PerlParser.isIdent(peek()) { pos += 1 }
            tag = String(decoding: bytes[start..<pos], as: UTF8.self)
        }
        guard !tag.isEmpty else { throw error("here-document tag") }
        while let c = peek(), c != 10 { pos += 1 }
        pos += 1
        var lines: [Substring] = []
        var found = false
        while pos < bytes.count {
            var end = pos
            while end < bytes.count, bytes[end] != 10 { end += 1 }
            let line = String(decoding: bytes[pos..<end], as: UTF8.self)
            pos = min(end + 1, bytes.count)
            if (indented ? line.trimmingCharacters(in: .whitespaces) : line) == tag { found = true; break }
            lines.append(Substring(line))
        }
        guard found else { throw error("unterminated here-document \(tag)") }
        if indented {
            let margin = lines.filter { !$0.allSatisfy(\.isWhitespace) }
                .map { $0.prefix(while: { $0 == " " || $0 == "\t" }).count }.min() ?? 0
            lines = lines.map { $0.dropFirst(min(margin, $0.prefix(while: { $0 == " " || $0 == "\t" }).count)) }
        }
        let body = lines.map { $0 + "\n" }.joined()
        return interpolate ? try interpolated(Array(body.utf8)) : body
    }
}
