#if canImport(Glibc)
import Glibc
#endif

/// The addresses a cosocket uses without asking DNS: IP literals only. As in ngx_lua,
/// every name (`localhost` too) goes to the `resolver`, or fails with
/// `no resolver defined to resolve "name"` without one.
enum LuaHostResolver {
    /// The address text for `host`, or nil when it needs a DNS resolver.
    static func resolve(_ host: String) -> String? {
        var h = host
        if h.hasPrefix("[") && h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        return isLiteral(h) ? h : nil
    }

    static func isLiteral(_ h: String) -> Bool {
        var a4 = in_addr()
        var a6 = in6_addr()
        return inet_pton(AF_INET, h, &a4) == 1 || inet_pton(AF_INET6, h, &a6) == 1
    }
}
