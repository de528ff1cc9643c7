import Foundation
import MoongateShm

/// A clock tests move by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var ms: Int64 = 1_000_000

    var now: Int64 {
        lock.lock()
        defer { lock.unlock() }
        return ms
    }

    func advance(ms delta: Int64) {
        lock.lock()
        ms += delta
        lock.unlock()
    }
}

/// A fresh unregistered zone driven by a manual clock.
func makeZone(size: Int = 1 << 20, name: String = "test") throws -> (ShdictZone, ManualClock) {
    let zone = try ShdictZone(name: name, size: size)
    let clock = ManualClock()
    zone.clock = .custom { clock.now }
    return (zone, clock)
}

extension ShdictZone {
    @discardableResult
    func set(_ key: String, _ value: String, exptime: Double = 0, flags: UInt32 = 0) throws -> Bool {
        try store(.set, key, .string(value), exptime: exptime, flags: flags)
    }

    func string(_ key: String) throws -> String? {
        try get(key).string
    }
}

func randomString(_ n: Int, seed: Int) -> String {
    String((0..<n).map { i in Character(UnicodeScalar(UInt8(97 + (i &* 7 &+ seed) % 26))) })
}
