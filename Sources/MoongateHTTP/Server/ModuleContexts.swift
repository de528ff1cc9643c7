/// Module state by module name: per request (nginx's `r->ctx[module.ctx_index]`) and
/// per location (its `loc_conf[module.ctx_index]`).
///
/// A handful of entries at most, looked up several times per request with literal keys:
/// a linear scan whose string comparisons succeed on identical literals at once costs
/// far less than hashing the key for a Dictionary.
/// The first entry is held inline: a request with one module's state allocates no array
/// (ngx_lua's context has a slot of its own, `lua`).
public struct ModuleContexts: Sequence {
    private var first: (key: String, value: AnyObject)?
    private var rest: [(key: String, value: AnyObject)] = []
    /// ngx_lua's request context, in a slot of its own: the Lua module finds it several
    /// times per request (every phase handler, every API call that starts from the
    /// request) without a keyed lookup and dynamic cast. Not in `self["..."]` and not
    /// iterated; cleared by `removeAll` like the keyed entries.
    public var lua: AnyObject?
    /// The proxy module's session, in a typed slot of its own (read by the balancer and
    /// the $upstream_* / $proxy_* variables, set per proxied request): no keyed lookup nor
    /// dynamic cast. Cleared by `removeAll` like the keyed entries.
    var proxy: ProxySession?

    public init() {}

    public func makeIterator() -> IndexingIterator<[(key: String, value: AnyObject)]> {
        guard let first else { return rest.makeIterator() }
        return ([first] + rest).makeIterator()
    }

    /// Forgets every module's state (internal redirects start afresh, as nginx's do).
    public mutating func removeAll() {
        first = nil
        lua = nil
        proxy = nil
        if !rest.isEmpty { rest.removeAll() }
    }

    public subscript(key: String) -> AnyObject? {
        get {
            if let f = first, f.key == key { return f.value }
            for e in rest where e.key == key { return e.value }
            return nil
        }
        set {
            if let f = first, f.key == key {
                if let newValue {
                    first = (key, newValue)
                } else {
                    first = rest.isEmpty ? nil : rest.removeFirst()
                }
            } else if let i = rest.firstIndex(where: { $0.key == key }) {
                if let newValue {
                    rest[i].value = newValue
                } else {
                    rest.remove(at: i)
                }
            } else if let newValue {
                if first == nil {
                    first = (key, newValue)
                } else {
                    rest.append((key, newValue))
                }
            }
        }
    }
}

/// A request cleanup that is an object (see `RequestCleanups.append(object:)`).
public protocol RequestCleanupObject: AnyObject {
    func requestCleanup()
}

/// `HTTPRequest.cleanups`: callbacks in the order added, the first held inline (most
/// requests register one, ngx_lua's context release) so that no array is allocated.
/// An object's cleanup (`append(object:)`) costs no closure context allocated per request.
public struct RequestCleanups {
    enum Entry {
        case call(() -> Void)
        case object(any RequestCleanupObject)

        @inline(__always) func run() {
            switch self {
            case .call(let f): f()
            case .object(let o): o.requestCleanup()
            }
        }
    }

    private var first: Entry?
    private var rest: [Entry] = []

    public init() {}

    public mutating func append(_ c: @escaping () -> Void) {
        if first == nil {
            first = .call(c)
        } else {
            rest.append(.call(c))
        }
    }

    /// Runs `o.requestCleanup()` with the other cleanups, in the order added.
    public mutating func append(object o: any RequestCleanupObject) {
        if first == nil {
            first = .object(o)
        } else {
            rest.append(.object(o))
        }
    }

    public mutating func removeAll() {
        first = nil
        if !rest.isEmpty { rest.removeAll() }
    }

    public var isEmpty: Bool { first == nil }

    /// Runs the callbacks in order, then drops them all (any registered while they run
    /// included, as iterating a copy and then `removeAll()` did). The first is moved out,
    /// not copied: the copy and destroy of an optional closure cost ~55 instructions.
    public mutating func runAll() {
        guard let f = first.take() else { return }
        let later = rest
        if !rest.isEmpty { rest = [] }
        f.run()
        for c in later { c.run() }
        first = nil
        if !rest.isEmpty { rest.removeAll() }
    }
}
