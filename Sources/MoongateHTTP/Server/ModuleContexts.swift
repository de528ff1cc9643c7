/// Module state by module name: per request (nginx's `r->ctx[module.ctx_index]`) and
/// per location (its `loc_conf[module.ctx_index]`).
///
/// A handful of entries at most, looked up several times per request with literal keys:
/// a linear scan whose string comparisons succeed on identical literals at once costs
/// far less than hashing the key for a Dictionary.
public struct ModuleContexts: Sequence {
    private var entries: [(key: String, value: AnyObject)] = []

    public init() {}

    public func makeIterator() -> IndexingIterator<[(key: String, value: AnyObject)]> {
        entries.makeIterator()
    }

    /// Forgets every module's state (internal redirects start afresh, as nginx's do).
    public mutating func removeAll() { entries.removeAll() }

    public subscript(key: String) -> AnyObject? {
        get {
            for e in entries where e.key == key { return e.value }
            return nil
        }
        set {
            if let i = entries.firstIndex(where: { $0.key == key }) {
                if let newValue {
                    entries[i].value = newValue
                } else {
                    entries.remove(at: i)
                }
            } else if let newValue {
                entries.append((key, newValue))
            }
        }
    }
}
