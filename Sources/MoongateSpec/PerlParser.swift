import Foundation

/// One parsed term: a value plus whether it is a bare list `( ... )`, which flattens
/// into an enclosing array and repeats element-wise with `x`.
struct PerlItem {
    var value: PerlValue
    var isList = false
}

/// A recursive-descent parser over UTF-8 bytes; the state behind ``PerlString``.
struct PerlParser {
    let bytes: [UInt8]
    let env: PerlString
    var pos = 0

    init(bytes: [UInt8], env: PerlString) {
        self.bytes = bytes
        self.env = env
    }

    var atEnd: Bool { pos >= bytes.count }

    func peek(_ ahead: Int = 0) -> UInt8? {
        pos + ahead < bytes.count ? bytes[pos + ahead] : nil
    }

    func error(_ what: String) -> PerlError {
        let end = min(bytes.count, pos + 30)
        let near = String(decoding: bytes[min(pos, end)..<end], as: UTF8.self)
        return PerlError(message: "unsupported Perl: \(what) near '\(near)'")
    }

    mutating func skipSpace() {
        while let c = peek() {
            if c == UInt8(ascii: "#") {
                while let d = peek(), d != 10 { _ = d; pos += 1 }
            } else if c == 32 || c == 9 || c == 10 || c == 13 {
                pos += 1
            } else {
                return
            }
        }
    }

    static func isIdent(_ c: UInt8?) -> Bool {
        guard let c else { return false }
        return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95
    }

    // MARK: expressions

    mutating func parseExpression() throws -> PerlItem {
        var item = try parseRepetition()
        while true {
            skipSpace()
            guard peek() == UInt8(ascii: "."), peek(1) != UInt8(ascii: ".") else { return item }
            pos += 1
            let rhs = try parseRepetition()
            item = PerlItem(value: .string(item.value.stringValue + rhs.value.stringValue))
        }
    }

    mutating func parseRepetition() throws -> PerlItem {
        var item = try parseTerm()
        while true {
            skipSpace()
            guard peek() == UInt8(ascii: "x"), !PerlParser.isIdent(peek(1)) || isDigit(peek(1)) else { return item }
            pos += 1
            let count = max(0, try parseNumber())
            if item.isList {
                let elems = item.value.elements
                item = PerlItem(value: .array(Array((0..<count).map { _ in elems }.joined())), isList: true)
            } else {
                item = PerlItem(value: .string(String(repeating: item.value.stringValue, count: count)))
            }
        }
    }

    func isDigit(_ c: UInt8?) -> Bool { c.map { $0 >= 48 && $0 <= 57 } ?? false }

    /// Parses an integer expression with `+ - *` and parentheses (repetition counts).
    mutating func parseNumber() throws -> Int {
        var total = try parseProduct()
        while true {
            skipSpace()
            if peek() == UInt8(ascii: "+") { pos += 1; total += try parseProduct() }
            else if peek() == UInt8(ascii: "-") { pos += 1; total -= try parseProduct() }
            else { return total }
        }
    }

    mutating func parseProduct() throws -> Int {
        var total = try parseFactor()
        while true {
            skipSpace()
            guard peek() == UInt8(ascii: "*") else { return total }
            pos += 1
            total *= try parseFactor()
        }
    }

    mutating func parseFactor() throws -> Int {
        skipSpace()
        if peek() == UInt8(ascii: "(") {
            pos += 1
            let v = try parseNumber()
            skipSpace()
            guard peek() == UInt8(ascii: ")") else { throw error("expected ')'") }
            pos += 1
            return v
        }
        let start = pos
        while isDigit(peek()) || peek() == UInt8(ascii: "_") { pos += 1 }
        guard pos > start, let n = Int(String(decoding: bytes[start..<pos], as: UTF8.self).replacingOccurrences(of: "_", with: "")) else {
            throw error("expected a number")
        }
        return n
    }

    mutating func parseTerm() throws -> PerlItem {
        skipSpace()
        guard let c = peek() else { throw error("unexpected end") }
        switch c {
        case UInt8(ascii: "'"):
            pos += 1
            return PerlItem(value: .string(try singleQuoted(close: c, open: nil)))
        case UInt8(ascii: "\""):
            pos += 1
            let raw = try delimited(close: c, open: nil)
            return PerlItem(value: .string(try interpolated(raw)))
        case UInt8(ascii: "["):
            pos += 1
            return PerlItem(value: .array(try listItems(close: UInt8(ascii: "]"))))
        case UInt8(ascii: "("):
            pos += 1
            let save = pos
            let items = try listItems(close: UInt8(ascii: ")"))
            // A single element without a comma is grouping, not a list.
            let inner = bytes[save..<pos]
            if items.count == 1, !inner.contains(UInt8(ascii: ",")) {
                return PerlItem(value: items[0], isList: true)
            }
            return PerlItem(value: .array(items), isList: true)
        case UInt8(ascii: "$"):
            return PerlItem(value: .string(try variable()))
        case UInt8(ascii: "<") where peek(1) == UInt8(ascii: "<"):
            return PerlItem(value: .string(try hereDocument()))
        case 48...57:
            let n = try parseNumber()
            return PerlItem(value: .string(String(n)))
        default:
            return try quoteLike()
        }
    }

    mutating func listItems(close: UInt8) throws -> [PerlValue] {
        var items: [PerlValue] = []
        while true {
            skipSpace()
            if peek() == close { pos += 1; return items }
            // A bareword before `=>` is a string.
            let save = pos
            while PerlParser.isIdent(peek()) { pos += 1 }
            var item: PerlItem
            let word = String(decoding: bytes[save..<pos], as: UTF8.self)
            skipSpace()
            if !word.isEmpty, peek() == UInt8(ascii: "="), peek(1) == UInt8(ascii: ">") {
                item = PerlItem(value: .string(word))
            } else {
                pos = save
                item = try parseExpression()
            }
            if item.isList, case .array(let elems) = item.value { items += elems } else { items.append(item.value) }
            skipSpace()
            if peek() == UInt8(ascii: ",") { pos += 1 }
            else if peek() == UInt8(ascii: "="), peek(1) == UInt8(ascii: ">") { pos += 2 }
            else if peek() != close { throw error("expected ',' in list") }
        }
    }

    mutating func quoteLike() throws -> PerlItem {
        let start = pos
        while PerlParser.isIdent(peek()) { pos += 1 }
        let word = String(decoding: bytes[start..<pos], as: UTF8.self)
        guard ["q", "qq", "qr", "qw"].contains(word) else {
            pos = start
            throw error("expression")
        }
        skipSpace()
        guard let open = peek(), !PerlParser.isIdent(open) else { throw error("quote delimiter") }
        pos += 1
        let close = PerlParser.closing(open)
        let nest: UInt8? = close == open ? nil : open
        switch word {
        case "q":
            return PerlItem(value: .string(try singleQuoted(close: close, open: nest)))
        case "qq":
            return PerlItem(value: .string(try interpolated(try delimited(close: close, open: nest))))
        case "qw":
            let raw = String(decoding: try delimited(close: close, open: nest), as: UTF8.self)
            let words = raw.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
            return PerlItem(value: .array(words.map { .string(String($0)) }), isList: true)
        default:
            let raw = String(decoding: try delimited(close: close, open: nest), as: UTF8.self)
            let fstart = pos
            while PerlParser.isIdent(peek()) { pos += 1 }
            let flags = String(decoding: bytes[fstart..<pos], as: UTF8.self)
            return PerlItem(value: .regex(source: raw, flags: flags))
        }
    }

    static func closing(_ open: UInt8) -> UInt8 {
        switch open {
        case UInt8(ascii: "{"): return UInt8(ascii: "}")
        case UInt8(ascii: "("): return UInt8(ascii: ")")
        case UInt8(ascii: "["): return UInt8(ascii: "]")
        case UInt8(ascii: "<"): return UInt8(ascii: ">")
        default: return open
        }
    }

    /// Returns the raw bytes up to the matching close delimiter, backslashes kept.
    mutating func delimited(close: UInt8, open: UInt8?) throws -> [UInt8] {
        var out: [UInt8] = []
        var depth = 0
        while let c = peek() {
            pos += 1
            if c == UInt8(ascii: "\\"), let n = peek() {
                out.append(c)
                out.append(n)
                pos += 1
                continue
            }
            if let open, c == open { depth += 1 }
            if c == close {
                if depth == 0 { return out }
                depth -= 1
            }
            out.append(c)
        }
        throw error("unterminated string")
    }

    mutating func singleQuoted(close: UInt8, open: UInt8?) throws -> String {
        let raw = try delimited(close: close, open: open)
        var out: [UInt8] = []
        var i = 0
        while i < raw.count {
            if raw[i] == UInt8(ascii: "\\"), i + 1 < raw.count, raw[i + 1] == UInt8(ascii: "\\") || raw[i + 1] == close {
                out.append(raw[i + 1])
                i += 2
            } else {
                out.append(raw[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
