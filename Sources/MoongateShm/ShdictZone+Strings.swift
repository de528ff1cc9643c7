/// Convenience overloads taking Swift strings; they allocate, so the Lua FFI
/// path should use the raw-buffer methods.
extension ShdictZone {
    /// `get` by string key.
    public func get(_ key: String) throws(ShdictError) -> ShdictValue {
        try withBytes(key) { k throws(ShdictError) in try get(k) }
    }

    /// `get_stale` by string key.
    public func getStale(_ key: String) throws(ShdictError) -> ShdictValue {
        try withBytes(key) { k throws(ShdictError) in try getStale(k) }
    }

    /// Any store operation with a string key; returns `forcible`.
    @discardableResult
    public func store(_ op: ShdictStoreOp, _ key: String, _ value: ShdictValueLiteral, exptime: Double = 0, flags: UInt32 = 0) throws(ShdictError) -> Bool {
        try withBytes(key) { k throws(ShdictError) in
            try value.withInput { v throws(ShdictError) in try store(op, k, v, exptime: exptime, flags: flags) }
        }
    }

    /// `delete` by string key.
    public func delete(_ key: String) throws(ShdictError) {
        try withBytes(key) { k throws(ShdictError) in try delete(k) }
    }

    /// `incr` by string key.
    public func incr(_ key: String, by delta: Double, initial: Double? = nil, initTTL: Double = 0) throws(ShdictError) -> (value: Double, forcible: Bool) {
        try withBytes(key) { k throws(ShdictError) in try incr(k, by: delta, initial: initial, initTTL: initTTL) }
    }

    /// `lpush`/`rpush` by string key.
    public func push(left: Bool, _ key: String, _ value: ShdictValueLiteral) throws(ShdictError) -> Int {
        try withBytes(key) { k throws(ShdictError) in
            try value.withInput { v throws(ShdictError) in try push(left: left, k, v) }
        }
    }

    /// `lpop`/`rpop` by string key.
    public func pop(left: Bool, _ key: String) throws(ShdictError) -> ShdictValue {
        try withBytes(key) { k throws(ShdictError) in try pop(left: left, k) }
    }

    /// `llen` by string key.
    public func llen(_ key: String) throws(ShdictError) -> Int {
        try withBytes(key) { k throws(ShdictError) in try llen(k) }
    }

    /// `ttl` by string key.
    public func ttl(_ key: String) throws(ShdictError) -> Double {
        try withBytes(key) { k throws(ShdictError) in try ttl(k) }
    }

    /// `expire` by string key.
    public func expire(_ key: String, exptime: Double) throws(ShdictError) {
        try withBytes(key) { k throws(ShdictError) in try expire(k, exptime: exptime) }
    }

    /// `get_keys` decoded as UTF-8.
    public func keys(max: Int = 1024) -> [String] {
        getKeys(max: max).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// An owned value for the string-keyed convenience API.
public enum ShdictValueLiteral {
    case `nil`
    case boolean(Bool)
    case number(Double)
    case string(String)

    func withInput<R>(_ body: (ShdictInput) throws(ShdictError) -> R) throws(ShdictError) -> R {
        switch self {
        case .nil: return try body(.nil)
        case .boolean(let b): return try body(.boolean(b))
        case .number(let n): return try body(.number(n))
        case .string(let s): return try withBytes(s) { b throws(ShdictError) in try body(.string(b)) }
        }
    }
}

/// Calls `body` with the UTF-8 bytes of `s`.
func withBytes<R>(_ s: String, _ body: (UnsafeRawBufferPointer) throws(ShdictError) -> R) throws(ShdictError) -> R {
    let bytes = Array(s.utf8)
    let result: Result<R, ShdictError> = bytes.withUnsafeBytes { b in
        do throws(ShdictError) { return .success(try body(b)) } catch { return .failure(error) }
    }
    return try result.get()
}
