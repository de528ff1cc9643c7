/// Asynchronous name resolution for `proxy_pass` with variables. The module that owns
/// the `resolver` directive (ngx_lua's cosocket resolver in MoongateLua) installs it;
/// HTTP itself knows nothing of DNS.
public enum NameResolution {
    /// Starts resolving `host`; returns false when no resolver is configured. The
    /// completion gets the first address, or nil and nginx's error text.
    nonisolated(unsafe) public static var resolve: ((String, @escaping (String?, String?) -> Void) -> Bool)?
    /// As `resolve`, with the location whose `resolver` applies (nginx's per-location
    /// resolver); preferred when installed.
    nonisolated(unsafe) public static var resolveIn:
        ((LocationConfig, String, @escaping (String?, String?) -> Void) -> Bool)?

    /// Starts resolving `host` for a request in `loc`; false without a resolver.
    public static func start(_ loc: LocationConfig, _ host: String, _ done: @escaping (String?, String?) -> Void) -> Bool {
        if let f = resolveIn { return f(loc, host, done) }
        return resolve?(host, done) ?? false
    }
}
