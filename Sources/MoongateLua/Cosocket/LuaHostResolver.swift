#if canImport(Glibc)
import Glibc
#endif

/// Turns a cosocket's host into an address without blocking the loop: IP literals,
/// `localhost` and names in /etc/hosts. Other names need the `resolver` directive,
/// which moongate does not implement yet, so they fail as in ngx_lua without one.
enum LuaHostResolver {
    nonisolated(unsafe) private static var hosts: [String: String]?

    /// The address text for `host`, or nil when it needs a DNS resolver.
    static func resolve(_ host: String) -> String? {
        var h = host
        if h.hasPrefix("[") && h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        if isLiteral(h) { return h }
        let name = h.lowercased()
        if let a = loadHosts()[name] { return a }
        if name == "localhost" { return "127.0.0.1" }
        return nil
    }

    static func isLiteral(_ h: String) -> Bool {
        var a4 = in_addr()
        var a6 = in6_addr()
        return inet_pton(AF_INET, h, &a4) == 1 || inet_pton(AF_INET6, h, &a6) == 1
    }

    private static func loadHosts() -> [String: String] {
        if let hosts { return hosts }
        var map: [String: String] = [:]
        if let f = fopen("/etc/hosts", "r") {
            defer { fclose(f) }
            var line: UnsafeMutablePointer<CChar>? = nil
            var cap = 0
            while getline(&line, &cap, f) > 0, let l = line {
                var text = String(cString: l)
                if let hash = text.firstIndex(of: "#") { text = String(text[..<hash]) }
                let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
                guard parts.count >= 2 else { continue }
                let addr = String(parts[0])
                // Prefer IPv4 as ngx_lua's resolver does without `ipv6=on`.
                for n in parts.dropFirst() {
                    let k = n.lowercased()
                    if map[k] == nil || (addr.contains(".") && map[k]!.contains(":")) { map[k] = addr }
                }
            }
            free(line)
        }
        hosts = map
        return map
    }
}
