/// nginx's size and time syntax (`ngx_parse_size`, `ngx_parse_time`).
public enum ConfUnits {
    /// `512`, `8k`, `30M`, `1g` in bytes; nil if invalid.
    public static func size(_ s: String) -> Int? {
        guard !s.isEmpty else { return nil }
        var num = Substring(s)
        var mult = 1
        switch s.last! {
        case "k", "K": mult = 1024; num = num.dropLast()
        case "m", "M": mult = 1024 * 1024; num = num.dropLast()
        case "g", "G": mult = 1024 * 1024 * 1024; num = num.dropLast()
        default: break
        }
        guard let v = Int(num), v >= 0 else { return nil }
        return v * mult
    }

    /// `68000ms`, `30s`, `1h 30m`, `60` (seconds by default) in milliseconds; nil if invalid.
    public static func milliseconds(_ s: String, defaultUnitSeconds: Bool = true) -> Int? {
        var total = 0
        var i = s.startIndex
        var any = false
        let scalars = Array(s.unicodeScalars)
        var idx = 0
        _ = i
        while idx < scalars.count {
            if scalars[idx] == " " { idx += 1; continue }
            var v = 0
            var digits = 0
            while idx < scalars.count, let d = Int(String(scalars[idx])), scalars[idx].isASCII,
                ("0"..."9").contains(Character(scalars[idx]))
            {
                v = v * 10 + d
                idx += 1
                digits += 1
            }
            guard digits > 0 else { return nil }
            var unit = ""
            while idx < scalars.count, scalars[idx] != " ", !("0"..."9").contains(Character(scalars[idx])) {
                unit.unicodeScalars.append(scalars[idx])
                idx += 1
            }
            let m: Int
            switch unit {
            case "ms": m = 1
            case "s": m = 1000
            case "m": m = 60_000
            case "h": m = 3_600_000
            case "d": m = 86_400_000
            case "w": m = 7 * 86_400_000
            case "M": m = 30 * 86_400_000
            case "y": m = 365 * 86_400_000
            case "": m = defaultUnitSeconds ? 1000 : 1
            default: return nil
            }
            total += v * m
            any = true
        }
        i = s.endIndex
        return any ? total : nil
    }
}
