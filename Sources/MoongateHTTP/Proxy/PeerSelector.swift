import MoongateCore

/// Chooses peers of an upstream for one request (nginx's round robin, ip_hash, hash and
/// least_conn peer `get` functions), remembering which peers this request tried.
struct PeerSelector {
    let block: UpstreamBlock
    /// Peers already tried by this request (nginx's `rrp->tried` bitmap).
    var tried: Set<ObjectIdentifier> = []

    init(block: UpstreamBlock) { self.block = block }

    /// The next peer, or nil when none is live (`no live upstreams`).
    mutating func next(_ r: HTTPRequest) -> UpstreamPeer? {
        let now = CachedTime.monotonicMsec
        let single = block.peers.count == 1
        if single {
            let p = block.peers[0]
            // nginx's single peer is never marked failed; tries alone bound it.
            if p.down { return nil }
            tried.insert(ObjectIdentifier(p))
            p.conns += 1
            return p
        }
        if let p = pick(r, block.primary, now) ?? pick(r, block.backups, now) {
            tried.insert(ObjectIdentifier(p))
            p.conns += 1
            if p.fails > 0 && p.maxFails > 0 && now - p.checked > Int64(p.failTimeout) { p.checked = now }
            return p
        }
        return nil
    }

    private func candidates(_ peers: [UpstreamPeer], _ now: Int64) -> [UpstreamPeer] {
        peers.filter { !tried.contains(ObjectIdentifier($0)) && $0.available(now: now) }
    }

    private func pick(_ r: HTTPRequest, _ peers: [UpstreamPeer], _ now: Int64) -> UpstreamPeer? {
        let live = candidates(peers, now)
        if live.isEmpty { return nil }
        switch block.method {
        case .roundRobin:
            return smoothWeighted(live)
        case .leastConn:
            var best: [UpstreamPeer] = []
            var bestScore = Double.infinity
            for p in live {
                let score = Double(p.conns) / Double(max(1, p.weight))
                if score < bestScore {
                    bestScore = score
                    best = [p]
                } else if score == bestScore {
                    best.append(p)
                }
            }
            return best.count == 1 ? best[0] : smoothWeighted(best)
        case .ipHash:
            let parts = r.connection.remoteAddress.split(separator: ".").prefix(3)
            return hashed(key: parts.joined(separator: "."), live: live, all: peers)
        case .hash(let key, let consistent):
            let k = key.evaluate(r)
            if consistent { return ring(key: k, live: live) }
            return hashed(key: k, live: live, all: peers)
        }
    }

    /// Round robin over `peers` ignoring health (for tests and fallbacks).
    func pick(roundRobinOf peers: [UpstreamPeer]) -> UpstreamPeer { smoothWeighted(peers) }

    /// nginx's smooth weighted round robin.
    private func smoothWeighted(_ live: [UpstreamPeer]) -> UpstreamPeer {
        var best: UpstreamPeer? = nil
        var total = 0
        for p in live {
            p.currentWeight += p.effectiveWeight
            total += p.effectiveWeight
            if p.effectiveWeight < p.weight { p.effectiveWeight += 1 }
            if best == nil || p.currentWeight > best!.currentWeight { best = p }
        }
        best!.currentWeight -= total
        return best!
    }

    /// Hash of the key over the configured peers, falling to the next live one.
    private func hashed(key: String, live: [UpstreamPeer], all: [UpstreamPeer]) -> UpstreamPeer? {
        var h = Self.crc32(Array(key.utf8))
        let weights = all.reduce(0) { $0 + $1.weight }
        guard weights > 0 else { return live.first }
        for _ in 0..<20 {
            var w = Int(h % UInt32(weights))
            for p in all {
                if w < p.weight {
                    if live.contains(where: { $0 === p }) { return p }
                    break
                }
                w -= p.weight
            }
            h = Self.crc32(Array(String(h).utf8))
        }
        return smoothWeighted(live)
    }

    /// Consistent hashing: 160 points per unit of weight, as nginx's `hash ... consistent`.
    private func ring(key: String, live: [UpstreamPeer]) -> UpstreamPeer? {
        let h = Self.crc32(Array(key.utf8))
        var best: UpstreamPeer? = nil
        var bestPoint = UInt32.max
        var first: (UpstreamPeer, UInt32)? = nil
        for p in live {
            for i in 0..<(160 * p.weight) {
                let point = Self.crc32(Array("\(p.host):\(p.port)\0\(i)".utf8))
                if first == nil || point < first!.1 { first = (p, point) }
                if point >= h && point < bestPoint {
                    bestPoint = point
                    best = p
                }
            }
        }
        return best ?? first?.0
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }
}
