#if canImport(Glibc)
import Glibc
#endif

/// Date formatting and parsing behind `ngx.today`, `ngx.http_time`,
/// `ngx.parse_http_time` etc., with nginx's formats.
public enum HTTPTime {
    static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun",
                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func brokenDown(_ sec: Int, local: Bool) -> tm {
        var t = time_t(sec)
        var out = tm()
        if local { localtime_r(&t, &out) } else { gmtime_r(&t, &out) }
        return out
    }

    static func pad(_ v: Int32, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// `yyyy-mm-dd` for `sec` (local time).
    public static func day(_ sec: Int) -> String {
        let t = brokenDown(sec, local: true)
        return "\(pad(t.tm_year + 1900, 4))-\(pad(t.tm_mon + 1, 2))-\(pad(t.tm_mday, 2))"
    }

    /// `yyyy-mm-dd hh:mm:ss` for `sec`, local or UTC.
    public static func dateTime(_ sec: Int, local: Bool) -> String {
        let t = brokenDown(sec, local: local)
        return "\(pad(t.tm_year + 1900, 4))-\(pad(t.tm_mon + 1, 2))-\(pad(t.tm_mday, 2))"
            + " \(pad(t.tm_hour, 2)):\(pad(t.tm_min, 2)):\(pad(t.tm_sec, 2))"
    }

    private static func clock(_ t: tm) -> String {
        "\(pad(t.tm_hour, 2)):\(pad(t.tm_min, 2)):\(pad(t.tm_sec, 2)) GMT"
    }

    /// `Thu, 18 Nov 2010 11:27:35 GMT` (RFC 1123), as `ngx_http_time`.
    public static func httpTime(_ sec: Int) -> String {
        let t = brokenDown(sec, local: false)
        return "\(weekdays[Int(t.tm_wday)]), \(pad(t.tm_mday, 2)) "
            + "\(months[Int(t.tm_mon)]) \(pad(t.tm_year + 1900, 4)) \(clock(t))"
    }

    /// `Thu, 18-Nov-10 11:27:35 GMT`, as `ngx_http_cookie_time`: two-digit
    /// years up to 2037, four digits after.
    public static func cookieTime(_ sec: Int) -> String {
        let t = brokenDown(sec, local: false)
        let year = t.tm_year + 1900
        let y = year > 2037 ? String(year) : pad(year % 100, 2)
        return "\(weekdays[Int(t.tm_wday)]), \(pad(t.tm_mday, 2))-"
            + "\(months[Int(t.tm_mon)])-\(y) \(clock(t))"
    }

    /// Parses the three HTTP date formats `ngx_parse_http_time` accepts:
    /// RFC 822/1123 `Sun, 06 Nov 1994 08:49:37 GMT`, RFC 850
    /// `Sunday, 06-Nov-94 08:49:37 GMT` and asctime `Sun Nov  6 08:49:37 1994`.
    /// Returns seconds since the epoch, or nil.
    public static func parse(_ v: UnsafeBufferPointer<UInt8>) -> Int? {
        enum Format { case none, rfc822, rfc850, isoc }
        let end = v.count
        // Reads past the end give 0, which every check below rejects.
        func at(_ i: Int) -> UInt8 { i < end && i >= 0 ? v[i] : 0 }
        func digit(_ i: Int) -> Int? {
            let c = at(i)
            return c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")
                ? Int(c - UInt8(ascii: "0")) : nil
        }
        var fmt = Format.none
        var p = 0
        while p < end {
            if at(p) == UInt8(ascii: ",") { break }
            if at(p) == UInt8(ascii: " ") { fmt = .isoc; break }
            p += 1
        }
        p += 1
        while p < end, at(p) == UInt8(ascii: " ") { p += 1 }
        if end - p < 18 { return nil }

        var day = 32
        var year = 2038
        if fmt != .isoc {
            guard let d0 = digit(p), let d1 = digit(p + 1) else { return nil }
            day = d0 * 10 + d1
            p += 2
            if at(p) == UInt8(ascii: " ") {
                if end - p < 18 { return nil }
                fmt = .rfc822
            } else if at(p) == UInt8(ascii: "-") {
                fmt = .rfc850
            } else {
                return nil
            }
            p += 1
        }

        var month: Int
        switch at(p) {
        case UInt8(ascii: "J"):
            month = at(p + 1) == UInt8(ascii: "a") ? 0 : at(p + 2) == UInt8(ascii: "n") ? 5 : 6
        case UInt8(ascii: "F"): month = 1
        case UInt8(ascii: "M"): month = at(p + 2) == UInt8(ascii: "r") ? 2 : 4
        case UInt8(ascii: "A"): month = at(p + 1) == UInt8(ascii: "p") ? 3 : 7
        case UInt8(ascii: "S"): month = 8
        case UInt8(ascii: "O"): month = 9
        case UInt8(ascii: "N"): month = 10
        case UInt8(ascii: "D"): month = 11
        default: return nil
        }
        p += 3
        if (fmt == .rfc822 && at(p) != UInt8(ascii: " "))
            || (fmt == .rfc850 && at(p) != UInt8(ascii: "-")) {
            return nil
        }
        p += 1

        if fmt == .rfc822 {
            guard let a = digit(p), let b = digit(p + 1), let c = digit(p + 2),
                  let d = digit(p + 3) else { return nil }
            year = a * 1000 + b * 100 + c * 10 + d
            p += 4
        } else if fmt == .rfc850 {
            guard let a = digit(p), let b = digit(p + 1) else { return nil }
            year = a * 10 + b
            year += year < 70 ? 2000 : 1900
            p += 2
        }

        if fmt == .isoc {
            if at(p) == UInt8(ascii: " ") { p += 1 }
            guard let a = digit(p) else { return nil }
            day = a
            p += 1
            if at(p) != UInt8(ascii: " ") {
                guard let b = digit(p) else { return nil }
                day = day * 10 + b
                p += 1
            }
            if end - p < 14 { return nil }
        }

        if at(p) != UInt8(ascii: " ") { return nil }
        p += 1
        guard let h0 = digit(p), let h1 = digit(p + 1) else { return nil }
        let hour = h0 * 10 + h1
        p += 2
        if at(p) != UInt8(ascii: ":") { return nil }
        p += 1
        guard let m0 = digit(p), let m1 = digit(p + 1) else { return nil }
        let min = m0 * 10 + m1
        p += 2
        if at(p) != UInt8(ascii: ":") { return nil }
        p += 1
        guard let s0 = digit(p), let s1 = digit(p + 1) else { return nil }
        let sec = s0 * 10 + s1

        if fmt == .isoc {
            p += 2
            if at(p) != UInt8(ascii: " ") { return nil }
            p += 1
            guard let a = digit(p), let b = digit(p + 1), let c = digit(p + 2),
                  let d = digit(p + 3) else { return nil }
            year = a * 1000 + b * 100 + c * 10 + d
        }

        if hour > 23 || min > 59 || sec > 59 { return nil }
        let mday = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        if day == 29 && month == 1 {
            if year & 3 != 0 || (year % 100 == 0 && year % 400 != 0) { return nil }
        } else if day > mday[month] {
            return nil
        }

        // Shift the new year to March 1 and count months from 1, then apply
        // Gauss' formula for days since March 1, 1 BC (as nginx does).
        month -= 1
        if month <= 0 {
            month += 12
            year -= 1
        }
        let days = 365 * year + year / 4 - year / 100 + year / 400
            + 367 * month / 12 - 30 + day - 1 - 719527 + 31 + 28
        return days * 86400 + hour * 3600 + min * 60 + sec
    }
}
