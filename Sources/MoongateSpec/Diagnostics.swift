import Foundation

/// Formatting helpers for failure messages: escaped strings and a short line diff.
public enum Diagnostics {
    /// Shows a string with control characters escaped; long strings are shortened
    /// unless `full` is set (the preamble's `no_long_string()`).
    public static func show(_ s: String, full: Bool = false, limit: Int = 300) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if u.value < 0x20 || u.value == 0x7f { out += String(format: "\\x%02x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        if !full, out.count > limit {
            out = String(out.prefix(limit)) + "...(\(s.utf8.count) bytes)"
        }
        return "\"" + out + "\""
    }

    /// A compact unified-style diff of two texts by lines: the differing middle part
    /// with `-` for expected and `+` for got lines, at most `maxLines` each.
    public static func diff(expected: String, got: String, maxLines: Int = 12) -> [String] {
        let a = expected.components(separatedBy: "\n")
        let b = got.components(separatedBy: "\n")
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix,
              a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        var lines = ["@@ line \(prefix + 1) @@"]
        if prefix > 0 { lines.append("  " + show(a[prefix - 1], limit: 100)) }
        let removed = a[prefix..<(a.count - suffix)]
        let added = b[prefix..<(b.count - suffix)]
        for l in removed.prefix(maxLines) { lines.append("- " + show(l, limit: 200)) }
        if removed.count > maxLines { lines.append("- ... \(removed.count - maxLines) more lines") }
        for l in added.prefix(maxLines) { lines.append("+ " + show(l, limit: 200)) }
        if added.count > maxLines { lines.append("+ ... \(added.count - maxLines) more lines") }
        return lines
    }
}
