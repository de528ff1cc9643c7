/// Asynchronous name resolution for `proxy_pass` with variables. The module that owns
/// the `resolver` directive (ngx_lua's cosocket resolver in MoongateLua) installs it;
/// HTTP itself knows nothing of DNS.
public enum NameResolution {
    /// Starts resolving `host`; returns false when no resolver is configured. The
    /// completion gets the first address, or nil and nginx's error text.
    nonisolated(unsafe) public static var resolve: ((String, @escaping (String?, String?) -> Void) -> Bool)?
}
