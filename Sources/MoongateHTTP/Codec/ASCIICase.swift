/// Header names are ASCII: comparisons without `lowercased()` copies.

/// `s` equals the lowercase ASCII `lower`, ignoring the case of `s`.
@inline(__always)
func asciiEqualsLower(_ s: String, _ lower: String) -> Bool {
    asciiEqualsIgnoringCase(s, lower)
}

/// `a` equals `b` ignoring ASCII case on both sides.
@inline(__always)
func asciiEqualsIgnoringCase(_ a: String, _ b: String) -> Bool {
    var x = a.utf8.makeIterator()
    var y = b.utf8.makeIterator()
    while true {
        switch (x.next(), y.next()) {
        case (nil, nil): return true
        case (let p?, let q?):
            if p != q && (p &- 65 < 26 ? p | 0x20 : p) != (q &- 65 < 26 ? q | 0x20 : q) { return false }
        default: return false
        }
    }
}
