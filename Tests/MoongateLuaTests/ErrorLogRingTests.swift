import MoongateCore
import Testing
@testable import MoongateLua

private func write(_ ring: ErrorLogRing, _ s: String, _ level: LogLevel = .error) {
    var s = s
    s.withUTF8 { ring.write(level: level, UnsafeRawBufferPointer($0)) }
}

private func readAll(_ ring: ErrorLogRing) -> [String] {
    var out: [String] = []
    while let m = ring.read() {
        out.append(String(decoding: UnsafeRawBufferPointer(start: m.bytes, count: m.len), as: UTF8.self))
    }
    return out
}

@Suite struct ErrorLogRingTests {
    @Test func keepsOrderAndLevel() {
        let ring = ErrorLogRing(size: 4096)
        write(ring, "one", .warn)
        write(ring, "two", .crit)
        let first = ring.read()
        #expect(first?.level == LogLevel.warn.rawValue)
        #expect(readAll(ring) == ["two"])
        #expect(ring.read() == nil)
    }

    @Test func dropsTheOldestWhenFull() {
        let ring = ErrorLogRing(size: 4096)
        // 100-byte lines with a 16-byte header: 35 fit in 4096 bytes.
        for i in 0..<100 { write(ring, String(repeating: "x", count: 97) + String(format3(i))) }
        let lines = readAll(ring)
        #expect(lines.count == 35)
        #expect(lines.last?.hasSuffix("099") == true)
        #expect(lines.first?.hasSuffix("065") == true)
    }

    @Test func aLineLongerThanTheBufferIsDropped() {
        let ring = ErrorLogRing(size: 4096)
        write(ring, "small")
        write(ring, String(repeating: "y", count: 4096))
        #expect(readAll(ring) == ["small"])
    }

    @Test func wrapsPastABigLine() {
        let ring = ErrorLogRing(size: 4096)
        for _ in 0..<10 { write(ring, String(repeating: "a", count: 180)) }
        write(ring, String(repeating: "A", count: 3000))
        write(ring, String(repeating: "a", count: 180))
        let lines = readAll(ring)
        #expect(lines.count == 2)
        #expect(lines.first?.first == "A")
        #expect(lines.last?.first == "a")
    }

    @Test func readingKeepsRoomForNewLines() {
        let ring = ErrorLogRing(size: 4096)
        write(ring, "l1")
        write(ring, "l2")
        for i in 3...400 {
            _ = ring.read()
            write(ring, "l\(i)")
        }
        #expect(readAll(ring) == ["l399", "l400"])
    }
}

private func format3(_ i: Int) -> String {
    let s = String(i)
    return String(repeating: "0", count: 3 - s.count) + s
}
