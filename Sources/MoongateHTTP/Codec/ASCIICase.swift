/// Header names are ASCII: comparisons without `lowercased()` copies.

/// `a` equals `b` ignoring ASCII case on both sides.
@inline(__always)
func asciiEqualsIgnoringCase(_ a: String, _ b: String) -> Bool {
    var x = a.utf8.makeIterator()
    var y = b.utf8.makeIterator()
    while true {
        switch (x.next(), y.next()) {
        case (nil, nil): return true
        case (let p?, let q?):
            if p != q && asciiLower(p) != asciiLower(q) { return false }
        default: return false
        }
    }
}

/// The bytes `b` equal the lowercase ASCII `lower`, ignoring the case of `b`.
@inlinable @inline(__always)
public func asciiEqualsLower(_ b: UnsafeRawBufferPointer, _ lower: StaticString) -> Bool {
    guard b.count == lower.utf8CodeUnitCount else { return false }
    let l = lower.utf8Start
    for k in 0..<b.count where asciiLower(b[k]) != l[k] { return false }
    return true
}

/// `c` lower-cased when it is an ASCII capital.
@inlinable @inline(__always)
public func asciiLower(_ c: UInt8) -> UInt8 { c &- 65 < 26 ? c | 0x20 : c }

/// Whether `c` is an ASCII capital.
@inlinable @inline(__always)
public func asciiIsUpper(_ c: UInt8) -> Bool { c &- 65 < 26 }
