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
    /// As `ngx_parse_time`: units go from larger to smaller, each at most once, a number
    /// without a unit (seconds) only comes last, and `y`/`M` need `allowYearsMonths`
    /// (nginx's `is_sec` parsing, used by `expires`).
    public static func milliseconds(
        _ s: String, defaultUnitSeconds: Bool = true, allowYearsMonths: Bool = false
    ) -> Int? {
        let units: [(String, Int)] = [
            ("y", 365 * 86_400_000), ("M", 30 * 86_400_000), ("w", 7 * 86_400_000), ("d", 86_400_000),
            ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
        ]
        let bytes = Array(s.utf8)
        var i = 0
        var total = 0
        var lastRank = -1
        var parts = 0
        var bare = false
        while i < bytes.count {
            if bytes[i] == 32 {
                i += 1
                continue
            }
            var v = 0
            var digits = 0
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                v = v * 10 + Int(bytes[i] - 48)
                if v > Int(Int32.max) { return nil }
                i += 1
                digits += 1
            }
            guard digits > 0 else { return nil }
            var unit = ""
            while i < bytes.count, bytes[i] != 32, !(bytes[i] >= 48 && bytes[i] <= 57) {
                unit.unicodeScalars.append(UnicodeScalar(bytes[i]))
                i += 1
            }
            parts += 1
            if bare { return nil }
            if unit.isEmpty {
                bare = true
                total += v * (defaultUnitSeconds ? 1000 : 1)
                continue
            }
            guard let rank = units.firstIndex(where: { $0.0 == unit }), rank > lastRank else { return nil }
            if rank < 2 && !allowYearsMonths { return nil }
            lastRank = rank
            total += v * units[rank].1
        }
        if parts == 0 { return nil }
        return total
    }
}
