/// The points of `hash KEY consistent` (nginx's `ngx_http_upstream_init_chash`): 160
/// points per unit of weight of each primary peer, each
/// `crc32(HOST "\0" PORT PREV_HASH)` as Cache::Memcached::Fast computes them, sorted,
/// with duplicate hashes dropped.
struct UpstreamHashRing {
    struct Point {
        let hash: UInt32
        /// The peer's `server` string as configured; peers resolved from one name share it.
        let server: String
    }

    let points: [Point]

    init(peers: [UpstreamPeer]) {
        var all: [(hash: UInt32, order: Int, server: String)] = []
        for peer in peers {
            let (host, port) = Self.split(Array(peer.server.utf8))
            var base = CRC32()
            base.update(host)
            base.update([0])
            base.update(port)
            var prev: UInt32 = 0
            for _ in 0..<(peer.weight * 160) {
                var h = CRC32(state: base.state)
                // nginx feeds the previous hash's bytes in memory order (little endian).
                h.update([UInt8(prev & 0xFF), UInt8((prev >> 8) & 0xFF), UInt8((prev >> 16) & 0xFF), UInt8(prev >> 24)])
                let v = h.final
                all.append((v, all.count, peer.server))
                prev = v
            }
        }
        // glibc's qsort is a merge sort here: equal hashes keep their order.
        all.sort { $0.hash != $1.hash ? $0.hash < $1.hash : $0.order < $1.order }
        var points: [Point] = []
        points.reserveCapacity(all.count)
        for p in all where points.last?.hash != p.hash {
            points.append(Point(hash: p.hash, server: p.server))
        }
        self.points = points
    }

    /// The index of the first point whose hash is >= `hash` (may be `points.count`).
    func find(_ hash: UInt32) -> Int {
        var i = 0
        var j = points.count
        while i < j {
            let k = (i + j) / 2
            if hash > points[k].hash {
                i = k + 1
            } else if hash < points[k].hash {
                j = k
            } else {
                return k
            }
        }
        return i
    }

    /// nginx splits `server` at a trailing `:digits`; `unix:` paths have no port.
    static func split(_ s: [UInt8]) -> (host: ArraySlice<UInt8>, port: ArraySlice<UInt8>) {
        if s.count >= 5, String(decoding: s[0..<5], as: UTF8.self).lowercased() == "unix:" {
            return (s[5...], [])
        }
        var j = 0
        while j < s.count {
            let c = s[s.count - j - 1]
            if c == UInt8(ascii: ":") {
                return (s[0..<(s.count - j - 1)], s[(s.count - j)...])
            }
            if c < UInt8(ascii: "0") || c > UInt8(ascii: "9") { break }
            j += 1
        }
        return (s[...], [])
    }
}
