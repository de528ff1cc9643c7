import CMoongate
#if canImport(Glibc)
import Glibc
#endif

/// One `lua_shared_dict` zone: a handle on a shared mapping created by the
/// master before forking, so every worker sees it at the same address.
///
/// Hot operations take keys as raw bytes and do not allocate: string reads are
/// copied into this handle's scratch buffer (grown when needed), so a handle must
/// be used by one thread at a time; use `makeHandle()` for more threads.
public final class ShdictZone: @unchecked Sendable {
    /// Smallest accepted size in bytes.
    public static let minimumSize = Int(MG_SHM_MIN_SIZE)

    /// Zone name (`lua_shared_dict NAME SIZE`).
    public let name: String
    /// Size requested at creation (the mapping is rounded up to whole pages).
    public let size: Int
    /// The zone header at the start of the mapping.
    public let raw: UnsafeMutablePointer<mg_shm_zone_t>
    /// Expiry time base; tests inject a manual clock.
    public var clock: ShdictClock = .system

    private let owner: ShdictZone?
    private var scratch: UnsafeMutableRawPointer
    private var scratchCapacity: Int

    /// Maps and initialises a new zone (MAP_SHARED|MAP_ANONYMOUS). Not registered:
    /// see `create(name:size:)` for the registry.
    public init(name: String, size: Int) throws(ShdictError) {
        guard size >= Self.minimumSize else { throw .badSize }
        guard let z = mg_shm_create(size, name) else { throw .mapFailed }
        self.name = name
        self.size = size
        self.raw = z
        self.owner = nil
        self.scratchCapacity = 4096
        self.scratch = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 16)
    }

    private init(sharing other: ShdictZone) {
        name = other.name
        size = other.size
        raw = other.raw
        clock = other.clock
        owner = other.owner ?? other
        scratchCapacity = 4096
        scratch = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 16)
    }

    deinit {
        scratch.deallocate()
        if owner == nil { mg_shm_destroy(raw) }
    }

    /// Another handle on the same zone with its own scratch buffer (for another thread).
    public func makeHandle() -> ShdictZone { ShdictZone(sharing: self) }

    /// Creates a zone in the process registry, or keeps the existing mapping when
    /// a zone of the same name and size exists (reload). Call in the master before forking.
    public static func create(name: String, size: Int) throws(ShdictError) -> ShdictZone {
        try ShdictRegistry.shared.create(name: name, size: size)
    }

    /// The registered zone called `name`.
    public static func find(_ name: String) -> ShdictZone? {
        ShdictRegistry.shared.find(name)
    }

    /// Bytes an entry with this key and string value occupies; it fits whenever
    /// this is at most `freeSpace`.
    public static func entrySize(keyLength: Int, valueLength: Int) -> Int {
        mg_shm_entry_size(keyLength, valueLength)
    }

    // MARK: reads

    /// `get`: the value, or `.nil` type when absent or expired. Throws `.isAList` for lists.
    @inlinable
    public func get(_ key: UnsafeRawBufferPointer) throws(ShdictError) -> ShdictValue {
        try read(key, stale: false)
    }

    /// `get_stale`: like `get` but also returns expired items not yet freed, with `stale` set.
    @inlinable
    public func getStale(_ key: UnsafeRawBufferPointer) throws(ShdictError) -> ShdictValue {
        try read(key, stale: true)
    }

    @usableFromInline
    func read(_ key: UnsafeRawBufferPointer, stale: Bool) throws(ShdictError) -> ShdictValue {
        var out = mg_shm_value_t()
        while true {
            let rc = mg_shm_get(raw, key.baseAddress, key.count, stale ? 1 : 0, scratch, scratchCapacity, &out, clock.nowArgument)
            if rc == Int32(MG_SHM_ERR_BUFFER) {
                grow(out.len)
                continue
            }
            if rc != 0 { throw ShdictError(code: rc) ?? .badValue }
            return value(out)
        }
    }

    private func value(_ out: mg_shm_value_t) -> ShdictValue {
        ShdictValue(
            type: ShdictValueType(rawValue: out.type) ?? .nil, flags: out.flags, number: out.number,
            bytes: UnsafeRawBufferPointer(start: scratch, count: out.len), stale: out.stale != 0)
    }

    private func grow(_ needed: Int) {
        var cap = scratchCapacity
        while cap < needed { cap *= 2 }
        scratch.deallocate()
        scratch = UnsafeMutableRawPointer.allocate(byteCount: cap, alignment: 16)
        scratchCapacity = cap
    }

    // MARK: writes

    /// `set`: stores (or deletes, for `.nil`) evicting LRU items when needed.
    /// Returns `forcible`: whether valid items were evicted.
    @discardableResult @inlinable
    public func set(_ key: UnsafeRawBufferPointer, _ value: ShdictInput, exptime: Double = 0, flags: UInt32 = 0) throws(ShdictError) -> Bool {
        try store(.set, key, value, exptime: exptime, flags: flags)
    }

    /// `safe_set`: like `set` but never evicts valid items (throws `.noMemory`).
    @inlinable
    public func safeSet(_ key: UnsafeRawBufferPointer, _ value: ShdictInput, exptime: Double = 0, flags: UInt32 = 0) throws(ShdictError) {
        _ = try store(.safeSet, key, value, exptime: exptime, flags: flags)
    }

    /// `add`: stores only when the key is absent or expired (else throws `.exists`).
    @discardableResult @inlinable
    public func add(_ key: UnsafeRawBufferPointer, _ value: ShdictInput, exptime: Double = 0, flags: UInt32 = 0) throws(ShdictError) -> Bool {
        try store(.add, key, value, exptime: exptime, flags: flags)
    }

    /// `safe_add`: `add` without evicting valid items.
    @inlinable
    public func safeAdd(_ key: UnsafeRawBufferPointer, _ value: ShdictInput, exptime: Double = 0, flags: UInt32 = 0) throws(ShdictError) {
        _ = try store(.safeAdd, key, value, exptime: exptime, flags: flags)
    }

    /// `replace`: stores only when the key is present and unexpired (else throws `.notFound`).
    @discardableResult @inlinable
    public func replace(_ key: UnsafeRawBufferPointer, _ value: ShdictInput, exptime: Double = 0, flags: UInt32 = 0) throws(ShdictError) -> Bool {
        try store(.replace, key, value, exptime: exptime, flags: flags)
    }

    /// `delete` (the same as `set(key, .nil)`).
    @inlinable
    public func delete(_ key: UnsafeRawBufferPointer) throws(ShdictError) {
        _ = try store(.set, key, .nil, exptime: 0, flags: 0)
    }

    /// Every store operation; `exptime` in seconds (0 = never, negative throws `.badExptime`).
    /// Returns `forcible`.
    public func store(_ op: ShdictStoreOp, _ key: UnsafeRawBufferPointer, _ value: ShdictInput, exptime: Double, flags: UInt32) throws(ShdictError) -> Bool {
        let ms = try Self.milliseconds(exptime)
        var forcible: Int32 = 0
        let rc: Int32
        switch value {
        case .nil:
            rc = mg_shm_store(raw, op.rawValue, key.baseAddress, key.count, Int32(MG_SHM_TNIL), nil, 0, 0, ms, flags, &forcible, clock.nowArgument)
        case .boolean(let b):
            rc = mg_shm_store(raw, op.rawValue, key.baseAddress, key.count, Int32(MG_SHM_TBOOLEAN), nil, 0, b ? 1 : 0, ms, flags, &forcible, clock.nowArgument)
        case .number(let n):
            rc = mg_shm_store(raw, op.rawValue, key.baseAddress, key.count, Int32(MG_SHM_TNUMBER), nil, 0, n, ms, flags, &forcible, clock.nowArgument)
        case .string(let s):
            rc = mg_shm_store(raw, op.rawValue, key.baseAddress, key.count, Int32(MG_SHM_TSTRING), s.baseAddress, s.count, 0, ms, flags, &forcible, clock.nowArgument)
        }
        if rc != 0 { throw ShdictError(code: rc) ?? .badValue }
        return forcible != 0
    }

    /// `incr`: adds `delta` to a number. When the key is absent or expired, throws
    /// `.notFound` unless `initial` is given, which then creates it as `initial + delta`
    /// with `initTTL` seconds to live (0 = never). Throws `.notANumber` for other types.
    public func incr(_ key: UnsafeRawBufferPointer, by delta: Double, initial: Double? = nil, initTTL: Double = 0) throws(ShdictError) -> (value: Double, forcible: Bool) {
        let ms = try Self.milliseconds(initTTL)
        var value = delta
        var forcible: Int32 = 0
        let rc = mg_shm_incr(raw, key.baseAddress, key.count, &value, initial == nil ? 0 : 1, initial ?? 0, ms, &forcible, clock.nowArgument)
        if rc != 0 { throw ShdictError(code: rc) ?? .badValue }
        return (value, forcible != 0)
    }

    // MARK: lists

    /// `lpush`: returns the new length. Throws `.notAList` for non-list values.
    @inlinable
    public func lpush(_ key: UnsafeRawBufferPointer, _ value: ShdictInput) throws(ShdictError) -> Int {
        try push(left: true, key, value)
    }

    /// `rpush`: returns the new length.
    @inlinable
    public func rpush(_ key: UnsafeRawBufferPointer, _ value: ShdictInput) throws(ShdictError) -> Int {
        try push(left: false, key, value)
    }

    /// `lpush`/`rpush` of a string or number (other inputs throw `.badValue`).
    public func push(left: Bool, _ key: UnsafeRawBufferPointer, _ value: ShdictInput) throws(ShdictError) -> Int {
        var len: Int64 = 0
        let rc: Int32
        switch value {
        case .number(let n):
            rc = mg_shm_push(raw, left ? 1 : 0, key.baseAddress, key.count, Int32(MG_SHM_TNUMBER), nil, 0, n, &len, clock.nowArgument)
        case .string(let s):
            rc = mg_shm_push(raw, left ? 1 : 0, key.baseAddress, key.count, Int32(MG_SHM_TSTRING), s.baseAddress, s.count, 0, &len, clock.nowArgument)
        default:
            throw .badValue
        }
        if rc != 0 { throw ShdictError(code: rc) ?? .badValue }
        return Int(len)
    }

    /// `lpop`: the first element, or `.nil` type when the key is absent or expired.
    @inlinable
    public func lpop(_ key: UnsafeRawBufferPointer) throws(ShdictError) -> ShdictValue {
        try pop(left: true, key)
    }

    /// `rpop`: the last element.
    @inlinable
    public func rpop(_ key: UnsafeRawBufferPointer) throws(ShdictError) -> ShdictValue {
        try pop(left: false, key)
    }

    /// `lpop`/`rpop`.
    public func pop(left: Bool, _ key: UnsafeRawBufferPointer) throws(ShdictError) -> ShdictValue {
        var out = mg_shm_value_t()
        while true {
            let rc = mg_shm_pop(raw, left ? 1 : 0, key.baseAddress, key.count, scratch, scratchCapacity, &out, clock.nowArgument)
            if rc == Int32(MG_SHM_ERR_BUFFER) {
                grow(out.len)
                continue
            }
            if rc != 0 { throw ShdictError(code: rc) ?? .badValue }
            return value(out)
        }
    }

    /// `llen`: 0 when absent or expired; throws `.notAList`.
    public func llen(_ key: UnsafeRawBufferPointer) throws(ShdictError) -> Int {
        var len: Int64 = 0
        let rc = mg_shm_llen(raw, key.baseAddress, key.count, &len, clock.nowArgument)
        if rc != 0 { throw ShdictError(code: rc) ?? .badValue }
        return Int(len)
    }

    // MARK: expiry

    /// `ttl`: remaining seconds (millisecond precision), 0 when the item never expires,
    /// negative when it has expired but is not freed yet. Throws `.notFound`.
    public func ttl(_ key: UnsafeRawBufferPointer) throws(ShdictError) -> Double {
        var ms: Int64 = 0
        let rc = mg_shm_ttl(raw, key.baseAddress, key.count, &ms, clock.nowArgument)
        if rc != 0 { throw ShdictError(code: rc) ?? .badValue }
        return Double(ms) / 1000
    }

    /// `expire`: sets the time to live in seconds (0 = never). Throws `.notFound`.
    public func expire(_ key: UnsafeRawBufferPointer, exptime: Double) throws(ShdictError) {
        let ms = try Self.milliseconds(exptime)
        let rc = mg_shm_expire(raw, key.baseAddress, key.count, ms, clock.nowArgument)
        if rc != 0 { throw ShdictError(code: rc) ?? .badValue }
    }

    /// `flush_all`: marks every item expired (memory is reclaimed lazily).
    public func flushAll() {
        mg_shm_flush_all(raw)
    }

    /// `flush_expired`: frees up to `max` expired items (0 = all); returns how many.
    @discardableResult
    public func flushExpired(max: Int = 0) -> Int {
        Int(mg_shm_flush_expired(raw, Int64(max), clock.nowArgument))
    }

    /// `get_keys`: up to `max` unexpired keys (0 = all; ngx_lua's default is 1024),
    /// most recently used first. Allocates.
    public func getKeys(max: Int = 1024) -> [[UInt8]] {
        var needed = 0
        var count: Int64 = 0
        while true {
            let rc = mg_shm_get_keys(raw, Int64(max), scratch, scratchCapacity, &needed, &count, clock.nowArgument)
            if rc == Int32(MG_SHM_ERR_BUFFER) {
                grow(needed)
                continue
            }
            if rc != 0 { return [] }
            var keys: [[UInt8]] = []
            keys.reserveCapacity(Int(count))
            var p = UnsafeRawPointer(scratch)
            for _ in 0..<count {
                let len = Int(p.loadUnaligned(as: UInt32.self))
                keys.append(Array(UnsafeRawBufferPointer(start: p + 4, count: len)))
                p += 4 + len
            }
            return keys
        }
    }

    // MARK: introspection

    /// `capacity`: bytes of the zone.
    public var capacity: Int { Int(raw.pointee.size) }

    /// `free_space`: bytes available for entries (see `entrySize`).
    public var freeSpace: Int { stats.freeSpace }

    /// Counters, read under the lock.
    public var stats: ShdictStats {
        var s = mg_shm_stats_t()
        mg_shm_stats(raw, &s)
        return ShdictStats(
            capacity: Int(s.capacity), freeSpace: Int(s.free_space), usedBytes: Int(s.used_bytes),
            items: Int(s.items), evictions: Int(s.evictions), compactions: Int(s.compactions),
            repairs: Int(s.repairs), rebuilds: Int(s.rebuilds))
    }

    /// Checks every structural invariant under the lock; 0 when consistent.
    public func validate() -> Int32 { mg_shm_check(raw) }

    // MARK: persistence

    /// Writes live entries with their remaining TTL to `path` (temporary file, fsync, rename).
    public func save(to path: String) throws(ShdictError) {
        let rc = mg_shm_save(raw, path, clock.nowArgument)
        if rc != 0 { throw ShdictError(code: rc) ?? .io }
    }

    /// Loads a file written by `save`, skipping entries whose TTL ran out; returns
    /// how many were stored. Existing keys are overwritten.
    @discardableResult
    public func load(from path: String) throws(ShdictError) -> Int {
        var loaded: Int64 = 0
        let rc = mg_shm_load(raw, path, &loaded, clock.nowArgument)
        if rc != 0 { throw ShdictError(code: rc) ?? .io }
        return Int(loaded)
    }

    @usableFromInline
    static func milliseconds(_ seconds: Double) throws(ShdictError) -> Int64 {
        guard seconds >= 0, seconds.isFinite else { throw .badExptime }
        if seconds == 0 { return 0 }
        // Sub-millisecond TTLs would round to 0, which means "never".
        return Swift.max(1, Int64((seconds * 1000).rounded(.down)))
    }
}

/// Store operations of `ShdictZone.store`; raw values are `MG_SHM_OP_*` bit sets.
public enum ShdictStoreOp: Int32, Sendable {
    case set = 0
    case add = 1
    case replace = 2
    case safeSet = 4
    case safeAdd = 5
}
