/// Header names are ASCII: comparisons without `lowercased()` copies.

/// `s` equals the lowercase ASCII `lower`, ignoring the case of `s`.
@inline(__always)
func asciiEqualsLower(_ s: String, _ lower: String) -> Bool {
    var a = s.utf8.makeIterator()
    var b = lower.utf8.makeIterator()
    while true {
        switch (a.next(), b.next()) {
        case (nil, nil): return true
        case (let x?, let y?):
            let lx = x &- 65 < 26 ? x | 0x20 : x
            if lx != y { return false }
        default: return false
        }
    }
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
