/// Read-only counters of one zone.
public struct ShdictStats: Sendable, Equatable {
    /// Bytes of the mapping (`capacity()` in ngx_lua).
    public var capacity: Int
    /// Bytes available for entries (`free_space()`); any entry with
    /// `ShdictZone.entrySize(...) <= freeSpace` can be stored without eviction.
    public var freeSpace: Int
    /// Bytes held by entries.
    public var usedBytes: Int
    /// Keys present, including expired ones not yet freed.
    public var items: Int
    /// Valid items evicted to make room.
    public var evictions: Int
    /// Times the arena was compacted.
    public var compactions: Int
    /// Times a process found the lock owner dead and checked the zone.
    public var repairs: Int
    /// Repairs that had to rebuild the indexes.
    public var rebuilds: Int
}
