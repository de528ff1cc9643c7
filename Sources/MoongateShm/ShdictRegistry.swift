import CMoongate
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The zones of this process by name. The master creates zones before forking
/// workers, which inherit the registry and find zones by name.
public final class ShdictRegistry: @unchecked Sendable {
    /// The process-wide registry behind `ShdictZone.create` and `ShdictZone.find`.
    public static let shared = ShdictRegistry()

    // A pthread mutex rather than Foundation's NSLock: this was the server's only
    // Foundation import, and linking Foundation cost every worker ~1.9 MB of RSS.
    private let lock = RegistryLock()
    private var zones: [String: ShdictZone] = [:]

    /// An empty registry (tests; the server uses `shared`).
    public init() {}

    /// Returns the existing zone when `name` is registered with the same `size`
    /// (its data survives a reload); otherwise maps a new zone, replacing any
    /// zone of that name with another size.
    public func create(name: String, size: Int) throws(ShdictError) -> ShdictZone {
        lock.lock()
        defer { lock.unlock() }
        if let z = zones[name], z.size == size { return z }
        let z = try ShdictZone(name: name, size: size)
        zones[name] = z
        return z
    }

    /// The zone called `name`, if any.
    public func find(_ name: String) -> ShdictZone? {
        lock.lock()
        defer { lock.unlock() }
        return zones[name]
    }

    /// After a reload: drops zones whose names are no longer declared. Their
    /// mapping is released in this process once no handle refers to it; children
    /// forked earlier keep their own mapping.
    public func retain(only names: Set<String>) {
        lock.lock()
        defer { lock.unlock() }
        zones = zones.filter { names.contains($0.key) }
    }

    /// A worker died abnormally (the master calls this): zones forget lock waiters it may
    /// have left behind. A lock it held is taken over by the next locker.
    public func processDied() {
        lock.lock()
        defer { lock.unlock() }
        for z in zones.values { mg_shm_process_died(z.raw) }
    }

    /// Drops one zone.
    public func remove(_ name: String) {
        lock.lock()
        defer { lock.unlock() }
        zones[name] = nil
    }

    /// Registered names, sorted.
    public var names: [String] {
        lock.lock()
        defer { lock.unlock() }
        return zones.keys.sorted()
    }
}

/// A plain pthread mutex (the registry is touched at start, reload and worker death only).
private final class RegistryLock {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init() { pthread_mutex_init(mutex, nil) }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
}
