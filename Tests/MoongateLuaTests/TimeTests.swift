import Testing
import MoongateCore
import MoongateLua
#if canImport(Glibc)
import Glibc
#endif

private func timeVM() throws -> LuaState {
    let vm = try makeTestVM()
    try vm.run("require 'resty.core.time'")
    return vm
}

@Test func nowAndTime() throws {
    let vm = try timeVM()
    try vm.run("ngx.update_time()")
    let r = try vm.run("return ngx.time(), ngx.now(), os.time()")
    let t = Int(r[0]!)!, now = Double(r[1]!)!, os = Int(r[2]!)!
    #expect(abs(t - os) <= 1)
    #expect(now >= Double(t) && now < Double(t + 1))
    #expect(try vm.run("return type(ngx.time()), type(ngx.now())") == ["number", "number"])
}

@Test func cachedTimeIsCached() throws {
    CachedTime.update()
    let before = CachedTime.milliseconds
    let vm = try timeVM()
    try vm.run("ngx.update_time()")
    let a = try vm.run("return ngx.now()")[0]!
    usleep(20_000)
    try vm.run("ngx.update_time()")
    let b = try vm.run("return ngx.now()")[0]!
    #expect(Double(b)! > Double(a)!)
    #expect(CachedTime.milliseconds >= before + 20)
}

@Test func todayLocaltimeUtctime() throws {
    let vm = try timeVM()
    let r = try vm.run("""
        ngx.update_time()
        local t = ngx.time()
        return ngx.today(), ngx.localtime(), ngx.utctime(),
               os.date('%Y-%m-%d', t), os.date('%Y-%m-%d %H:%M:%S', t),
               os.date('!%Y-%m-%d %H:%M:%S', t)
        """)
    #expect(r[0] == r[3])
    #expect(r[1] == r[4])
    #expect(r[2] == r[5])
    #expect(r[0]!.count == 10 && r[1]!.count == 19 && r[2]!.count == 19)
}

@Test func httpAndCookieTime() throws {
    let vm = try timeVM()
    // lua-nginx-module t/021-cookie-time.t and t/029-http-time.t
    #expect(try vm.run("return ngx.cookie_time(1290079655)")
        == ["Thu, 18-Nov-10 11:27:35 GMT"])
    #expect(try vm.run("return ngx.cookie_time(2200000000)")
        == ["Sun, 18-Sep-2039 23:06:40 GMT"])
    #expect(try vm.run("return ngx.cookie_time(0)") == ["Thu, 01-Jan-70 00:00:00 GMT"])
    #expect(try vm.run("return ngx.http_time(1290079655)")
        == ["Thu, 18 Nov 2010 11:27:35 GMT"])
    #expect(try vm.run("return ngx.http_time(0)") == ["Thu, 01 Jan 1970 00:00:00 GMT"])
    #expect(try vm.run("return ngx.http_time(2147483648)")
        == ["Tue, 19 Jan 2038 03:14:08 GMT"])
    #expect(try vm.run("return select(2, pcall(ngx.http_time, '1'))")
        == ["number argument only"])
    #expect(try vm.run("return select(2, pcall(ngx.cookie_time, nil))")
        == ["number argument only"])
}

@Test func parseHttpTime() throws {
    let vm = try timeVM()
    #expect(try vm.run("return ngx.parse_http_time('Thu, 18 Nov 2010 11:27:35 GMT')")
        == ["1290079655"])
    // RFC 850 and asctime forms.
    #expect(try vm.run("return ngx.parse_http_time('Sunday, 06-Nov-94 08:49:37 GMT')")
        == ["784111777"])
    #expect(try vm.run("return ngx.parse_http_time('Sun Nov  6 08:49:37 1994')")
        == ["784111777"])
    #expect(try vm.run("return ngx.parse_http_time('Sun, 06 Nov 1994 08:49:37 GMT')")
        == ["784111777"])
    #expect(try vm.run("return ngx.parse_http_time('Tue, 29 Feb 2000 00:00:00 GMT')")
        == ["951782400"])
    #expect(try vm.run("return ngx.parse_http_time('Tue, 19 Jan 2038 03:14:08 GMT')")
        == ["2147483648"])
    #expect(try vm.run("return ngx.parse_http_time(ngx.http_time(1234567890))")
        == ["1234567890"])
    // Failures.
    #expect(try vm.run("return ngx.parse_http_time('abc')") == [nil])
    #expect(try vm.run("return ngx.parse_http_time('')") == [nil])
    #expect(try vm.run("return ngx.parse_http_time('Thu, 18 Nov 2010 25:27:35 GMT')")
        == [nil])
    #expect(try vm.run("return ngx.parse_http_time('Thu, 29 Feb 2001 11:27:35 GMT')")
        == [nil])
    #expect(try vm.run("return ngx.parse_http_time('Thu, 31 Apr 2010 11:27:35 GMT')")
        == [nil])
    #expect(try vm.run("return ngx.parse_http_time('Thu, 18 Xyz 2010 11:27:35 GMT')")
        == [nil])
    #expect(try vm.run("return ngx.parse_http_time('Thu, 18 Nov 2010 11:27:35\\0')")
        == ["1290079655"])
    #expect(try vm.run("return select(2, pcall(ngx.parse_http_time, 1))")
        == ["string argument only"])
}

/// refresh() (each read event) reads the monotonic clock only and moves the wall clock
/// with it by the offset update() measured: the cached time is then the real time.
@Test func refreshFollowsTheClock() throws {
    CachedTime.update()
    let nanos = CachedTime.monotonicNanos
    usleep(30_000)
    CachedTime.refresh()
    #expect(CachedTime.monotonicNanos >= nanos + 30_000_000)
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    let real = Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec / 1_000_000)
    // Derived, not read: within a few ms of the wall clock (2 for truncation, the rest
    // for a busy machine between the two reads).
    #expect(abs(real - CachedTime.milliseconds) <= 10)
    var mono = timespec()
    clock_gettime(CLOCK_MONOTONIC, &mono)
    #expect(abs(Int64(mono.tv_sec) * 1000 + Int64(mono.tv_nsec / 1_000_000) - CachedTime.monotonicMsec) <= 10)
}
