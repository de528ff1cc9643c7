#if canImport(Glibc)
import Glibc
#endif
import CMoongate

/// The process's cached clock, with the formatted strings logs and headers need.
///
/// nginx refreshes its cached time (`ngx_time_update`) each time epoll_wait returns, so
/// a request sees the time its bytes arrived. SwiftNIO has no hook there; instead every
/// read of a client or upstream connection calls `refresh()`: one monotonic clock read
/// (about 25-90 ns through the vDSO), with the wall clock derived from the offset
/// measured by the last `update()`, which reads both clocks and runs at least every
/// 50 ms in a worker (its signal poll), at each Lua timer and on `ngx.update_time()`.
/// A step of the wall clock therefore shows within 50 ms.
public enum CachedTime {
    /// Seconds since the epoch.
    public private(set) static var sec: Int = 0
    /// Milliseconds part.
    public private(set) static var msec: Int = 0
    /// Monotonic milliseconds, for timers.
    public private(set) static var monotonicMsec: Int64 = 0
    /// Monotonic nanoseconds (CLOCK_MONOTONIC, the clock of NIO's deadlines).
    public private(set) static var monotonicNanos: UInt64 = 0
    /// Wall-clock milliseconds minus monotonic milliseconds, at the last `update()`.
    private static var wallOffsetMsec: Int64 = 0
    /// `2026/11/23 14:20:47` (local time), as in error.log.
    public private(set) static var errorLogTime: String = ""
    /// `Mon, 23 Nov 2026 14:20:47 GMT`.
    public private(set) static var httpTime: String = ""
    /// `Date: Mon, 23 Nov 2026 14:20:47 GMT\r\n` as bytes at `dateLineBytes` (0 before
    /// the first update): a response head copies it with no String retained and released.
    public private(set) static var dateLineCount = 0
    public static let dateLineBytes = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
    /// `23/Nov/2026:14:20:47 +0000`.
    public private(set) static var logTime: String = ""
    /// `2026-11-23T14:20:47+00:00`.
    public private(set) static var iso8601: String = ""
    private static var lastFormatted = -1

    /// Milliseconds since the epoch.
    public static var milliseconds: Int64 { Int64(sec) * 1000 + Int64(msec) }
    /// Whole seconds since the epoch.
    public static var seconds: Int { sec }

    /// Seconds with milliseconds as a Double (`ngx.now()`).
    public static var now: Double { Double(sec) + Double(msec) / 1000 }

    /// Reads both clocks and refreshes the strings when the second changed.
    public static func update() {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        sec = ts.tv_sec
        msec = ts.tv_nsec / 1_000_000
        var mono = timespec()
        clock_gettime(CLOCK_MONOTONIC, &mono)
        monotonicNanos = UInt64(mono.tv_sec) &* 1_000_000_000 &+ UInt64(mono.tv_nsec)
        monotonicMsec = Int64(mono.tv_sec) * 1000 + Int64(mono.tv_nsec / 1_000_000)
        wallOffsetMsec = Int64(sec) * 1000 + Int64(msec) - monotonicMsec
        // Shared dicts read the clock again at their next call (ngx.update_time()).
        mg_shm_clock_tick()
        format()
    }

    /// Reads the monotonic clock only, at each read event; the wall clock follows it
    /// by the offset the last `update()` measured.
    public static func refresh() {
        if wallOffsetMsec == 0 {
            update()
            return
        }
        var mono = timespec()
        clock_gettime(CLOCK_MONOTONIC, &mono)
        monotonicNanos = UInt64(mono.tv_sec) &* 1_000_000_000 &+ UInt64(mono.tv_nsec)
        let ms = Int64(mono.tv_sec) * 1000 + Int64(mono.tv_nsec / 1_000_000)
        if ms == monotonicMsec { return }
        monotonicMsec = ms
        let wall = ms + wallOffsetMsec
        sec = Int(wall / 1000)
        msec = Int(wall % 1000)
        mg_shm_clock_tick()
        if sec != lastFormatted { format() }
    }

    private static func format() {
        if sec != lastFormatted {
            lastFormatted = sec
            var t = time_t(sec)
            var gm = tm()
            gmtime_r(&t, &gm)
            var lt = tm()
            localtime_r(&t, &lt)
            httpTime = formatHTTPTime(gm)
            var line = "Date: " + httpTime + "\r\n"
            dateLineCount = line.withUTF8 { u in
                let n = min(u.count, 64)
                if n > 0 { dateLineBytes.copyMemory(from: u.baseAddress!, byteCount: n) }
                return n
            }
            errorLogTime =
                "\(lt.tm_year + 1900)/\(pad2(lt.tm_mon + 1))/\(pad2(lt.tm_mday)) "
                + "\(pad2(lt.tm_hour)):\(pad2(lt.tm_min)):\(pad2(lt.tm_sec))"
            let off = lt.tm_gmtoff
            let sign = off < 0 ? "-" : "+"
            let aoff = abs(off)
            let tz = "\(sign)\(pad2(Int32(aoff / 3600)))\(pad2(Int32((aoff % 3600) / 60)))"
            logTime =
                "\(pad2(lt.tm_mday))/\(monthNames[Int(lt.tm_mon)])/\(lt.tm_year + 1900):"
                + "\(pad2(lt.tm_hour)):\(pad2(lt.tm_min)):\(pad2(lt.tm_sec)) \(tz)"
            iso8601 =
                "\(lt.tm_year + 1900)-\(pad2(lt.tm_mon + 1))-\(pad2(lt.tm_mday))T"
                + "\(pad2(lt.tm_hour)):\(pad2(lt.tm_min)):\(pad2(lt.tm_sec))"
                + "\(sign)\(pad2(Int32(aoff / 3600))):\(pad2(Int32((aoff % 3600) / 60)))"
        }
    }

    /// `Mon, 23 Nov 2026 14:20:47 GMT` for any time.
    public static func httpTime(for seconds: Int) -> String {
        // One entry remembered: a file's Last-Modified is formatted once, not per request
        // (the formatting costs about 5k instructions).
        if seconds == lastHTTPTimeFor { return lastHTTPTimeFormatted }
        let s = formatHTTPTime(seconds)
        lastHTTPTimeFor = seconds
        lastHTTPTimeFormatted = s
        return s
    }
    private static var lastHTTPTimeFor = Int.min
    private static var lastHTTPTimeFormatted = ""

    private static func formatHTTPTime(_ seconds: Int) -> String {
        var t = time_t(seconds)
        var gm = tm()
        gmtime_r(&t, &gm)
        return formatHTTPTime(gm)
    }

    static func formatHTTPTime(_ gm: tm) -> String {
        "\(weekNames[Int(gm.tm_wday)]), \(pad2(gm.tm_mday)) \(monthNames[Int(gm.tm_mon)]) \(gm.tm_year + 1900) "
            + "\(pad2(gm.tm_hour)):\(pad2(gm.tm_min)):\(pad2(gm.tm_sec)) GMT"
    }

    /// Parses the date formats nginx's `ngx_parse_http_time` accepts; nil if invalid.
    public static func parseHTTPTime(_ s: String) -> Int? {
        var s = s
        return s.withUTF8 { HTTPTime.parse($0) }
    }
}

let weekNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

@inline(__always) func pad2(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
