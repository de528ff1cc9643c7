/// Integers written as decimal digits straight into memory (response heads, ngx.say of
/// numbers): no String made per number.
public enum DecimalDigits {
    /// The number of bytes `n` takes in decimal, sign included.
    @inlinable
    public static func length(_ n: Int64) -> Int {
        var m = n.magnitude
        var len = n < 0 ? 2 : 1
        while m >= 10 {
            m /= 10
            len += 1
        }
        return len
    }

    /// Writes `n` in decimal at `dst`; returns the bytes written (`length(n)`).
    @inlinable
    public static func write(_ n: Int64, to dst: UnsafeMutableRawPointer) -> Int {
        let len = length(n)
        var m = n.magnitude
        var at = len
        repeat {
            at -= 1
            dst.storeBytes(of: UInt8(truncatingIfNeeded: 48 + m % 10), toByteOffset: at, as: UInt8.self)
            m /= 10
        } while m > 0
        if n < 0 { dst.storeBytes(of: 45, toByteOffset: 0, as: UInt8.self) }
        return len
    }
}
