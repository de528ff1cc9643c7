/// Lowercase ASCII header names matched against a header's name in place, ignoring its
/// case as nginx does: no lowercased copy, no hash, one look at the name's bytes.
struct HeaderNameSet {
    /// The names, by their length in bytes.
    private var byLength: [[[UInt8]]] = []

    init<S: Sequence>(_ names: S) where S.Element == String {
        for n in names {
            let bytes = Array(n.utf8)
            while byLength.count <= bytes.count { byLength.append([]) }
            byLength[bytes.count].append(bytes)
        }
    }

    func contains(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = name.count
        guard n < byLength.count else { return false }
        for cand in byLength[n] where Self.equalsLower(name, cand) { return true }
        return false
    }

    /// Runs `f` on the UTF-8 bytes of `s` (contiguous for native strings).
    @inline(__always)
    static func withBytes<T>(_ s: String, _ f: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        if let r = s.utf8.withContiguousStorageIfAvailable(f) { return r }
        return Array(s.utf8).withUnsafeBufferPointer(f)
    }

    static func equalsLower(_ b: UnsafeBufferPointer<UInt8>, _ lower: [UInt8]) -> Bool {
        guard b.count == lower.count else { return false }
        for k in 0..<b.count where asciiLower(b[k]) != lower[k] { return false }
        return true
    }

    static func equalsLower(_ b: UnsafeBufferPointer<UInt8>, _ lower: StaticString) -> Bool {
        asciiEqualsLower(UnsafeRawBufferPointer(b), lower)
    }
}
