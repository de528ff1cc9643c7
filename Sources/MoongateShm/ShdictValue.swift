/// Type tags of stored values, numbered like ngx_lua's `SHDICT_T*` (`MG_SHM_T*`).
public enum ShdictValueType: Int32, Sendable {
    case `nil` = 0
    case boolean = 1
    case number = 3
    case string = 4
    case list = 5
}

/// A value read by `get`, `getStale`, `lpop` or `rpop`.
///
/// `bytes` points into the reading `ShdictZone` handle's scratch buffer and stays
/// valid until the next read through the same handle.
public struct ShdictValue {
    /// `.nil` when the key is absent (or expired, for `get`).
    public var type: ShdictValueType
    /// User flags given to `set` (0 for list elements).
    public var flags: UInt32
    /// The number, or 0/1 for booleans.
    public var number: Double
    /// String bytes (empty for other types).
    public var bytes: UnsafeRawBufferPointer
    /// `getStale` only: the item has expired.
    public var stale: Bool

    /// The boolean value.
    @inlinable public var bool: Bool { number != 0 }

    /// A copy of the string bytes decoded as UTF-8 (nil for other types); allocates.
    public var string: String? {
        type == .string ? String(decoding: bytes, as: UTF8.self) : nil
    }

    /// The absent value.
    public static let absent = ShdictValue(type: .nil, flags: 0, number: 0, bytes: UnsafeRawBufferPointer(start: nil, count: 0), stale: false)
}

/// A value to store; strings are borrowed for the duration of the call only.
public enum ShdictInput {
    case `nil`
    case boolean(Bool)
    case number(Double)
    case string(UnsafeRawBufferPointer)
}
