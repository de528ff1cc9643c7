/// nginx's incremental CRC-32 (`ngx_crc32_init/update/final`: the reflected polynomial
/// 0xEDB88320, as zlib's `crc32`), for the hash balancers.
struct CRC32 {
    private static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The running (not yet finalized) value.
    private(set) var state: UInt32 = 0xFFFF_FFFF

    init() {}

    /// Continues from a running value (nginx copies `base_hash` and updates it).
    init(state: UInt32) { self.state = state }

    mutating func update<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        var c = state
        for b in bytes { c = Self.table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        state = c
    }

    var final: UInt32 { state ^ 0xFFFF_FFFF }

    /// `ngx_crc32_long`.
    static func of<S: Sequence>(_ bytes: S) -> UInt32 where S.Element == UInt8 {
        var c = CRC32()
        c.update(bytes)
        return c.final
    }
}
