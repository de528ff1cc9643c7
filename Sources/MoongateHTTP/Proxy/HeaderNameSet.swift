/// Lowercase ASCII header names matched against a header's name in place, ignoring its
/// case as nginx does: no lowercased copy, no hash, one look at the name's bytes.
struct HeaderNameSet {
    /// The names, by their length in bytes.
    private var byLength: [[[UInt8]]] = []
    /// For each name of 8 bytes or more (same order as `byLength`): its 8-byte windows at
    /// 0, 8, ... and the last 8 bytes (4-byte windows at 0 and the end for names of 4 to
    /// 7 bytes), each as (bytes, mask) words, the mask with 0x20 at
    /// the lowercase letters. `(x | mask) == bytes` is `asciiLower(x) == bytes` for 8
    /// bytes at once: a lowercase letter's byte is met only by it or its capital (which
    /// differ in that bit alone), any other byte only by itself. A name with an ASCII
    /// capital (never met by a lowered byte) has no words and never matches.
    private var wordsByLength: [[[UInt64]]] = []
    /// The same words in one array, the names of each length together (names with no
    /// words left out): those of length n are `flat[starts[n]..<starts[n + 1]]`, each name's
    /// `wordCount(n)` in a row. Read in `contains` with no array retained per name.
    private var flat: [UInt64] = []
    private var starts: [Int] = []

    init<S: Sequence>(_ names: S) where S.Element == String {
        for n in names {
            let bytes = Array(n.utf8)
            while byLength.count <= bytes.count {
                byLength.append([])
                wordsByLength.append([])
            }
            byLength[bytes.count].append(bytes)
            wordsByLength[bytes.count].append(Self.words(bytes))
        }
        for group in wordsByLength {
            starts.append(flat.count)
            for w in group where !w.isEmpty { flat += w }
        }
        starts.append(flat.count)
    }

    /// The words of one name of `n` (at least 4) bytes.
    @inline(__always)
    private static func wordCount(_ n: Int) -> Int { n < 8 ? 4 : 2 &* ((n &+ 7) >> 3) }

    private static func words(_ b: [UInt8]) -> [UInt64] {
        guard b.count >= 4, !b.contains(where: { asciiIsUpper($0) }) else { return [] }
        let mask = b.map { $0 &- 97 < 26 ? UInt8(0x20) : 0 }
        if b.count < 8 {
            // Names of 4 to 7 bytes: their first and last 4 bytes (overlapping).
            func word(_ a: [UInt8], _ at: Int) -> UInt64 {
                UInt64(a.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) })
            }
            return [word(b, 0), word(mask, 0), word(b, b.count - 4), word(mask, b.count - 4)]
        }
        func word(_ a: [UInt8], _ at: Int) -> UInt64 {
            a.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt64.self) }
        }
        var out: [UInt64] = []
        var off = 0
        while off + 8 <= b.count {
            out += [word(b, off), word(mask, off)]
            off += 8
        }
        if off < b.count { out += [word(b, b.count - 8), word(mask, b.count - 8)] }
        return out
    }

    func contains(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = name.count
        guard n < byLength.count else { return false }
        if n < 4 {
            for cand in byLength[n] where Self.equalsLower(name, cand) { return true }
            return false
        }
        let p = UnsafeRawPointer(name.baseAddress!)
        return flat.withUnsafeBufferPointer { w in
            var i = starts[n]
            let end = starts[n &+ 1]
            if n < 8 {
                let first = UInt64(p.loadUnaligned(as: UInt32.self))
                let last = UInt64(p.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self))
                while i < end {
                    if first | w[i &+ 1] == w[i] && last | w[i &+ 3] == w[i &+ 2] { return true }
                    i &+= 4
                }
                return false
            }
            let per = Self.wordCount(n)
            while i < end {
                var k = i
                var off = 0
                var same = true
                while off &+ 8 <= n {
                    if p.loadUnaligned(fromByteOffset: off, as: UInt64.self) | w[k &+ 1] != w[k] {
                        same = false
                        break
                    }
                    off &+= 8
                    k &+= 2
                }
                if same && off < n {
                    same = p.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self) | w[k &+ 1] == w[k]
                }
                if same { return true }
                i &+= per
            }
            return false
        }
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

/// A `HeaderNameSet` held by reference: a location's sets are read per request with one
/// retain, not a copy of the set's arrays.
final class SharedHeaderNameSet {
    let set: HeaderNameSet
    /// Whether the set has `date`, `server` and `content-type` (the names the upstream
    /// parser tells apart: no look-up for them).
    let hasDate: Bool
    let hasServer: Bool
    let hasContentType: Bool

    init<S: Sequence>(_ names: S) where S.Element == String {
        set = HeaderNameSet(names)
        let lowered = Set(names.map { $0.lowercased() })
        hasDate = lowered.contains("date")
        hasServer = lowered.contains("server")
        hasContentType = lowered.contains("content-type")
    }

    @inline(__always)
    func contains(_ name: UnsafeBufferPointer<UInt8>) -> Bool { set.contains(name) }
}
