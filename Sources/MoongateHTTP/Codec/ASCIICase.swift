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
