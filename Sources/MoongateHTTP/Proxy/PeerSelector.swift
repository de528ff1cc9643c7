import MoongateCore
#if canImport(Glibc)
import Glibc
#endif

/// Chooses peers of an upstream for one request (nginx's round robin, ip_hash, hash and
/// least_conn peer `get` functions), remembering which peers this request tried.
struct PeerSelector {
    let block: UpstreamBlock
    /// Peers already tried by this request (nginx's `rrp->tried` bitmap).
    var tried: Set<ObjectIdentifier> = []
    /// The per-request state of the hash methods (nginx's `ngx_http_upstream_hash_peer_data_t`
    /// and `ngx_http_upstream_ip_hash_peer_data_t`), set up on the first pick.
    var hash = HashState()

    init(block: UpstreamBlock) { self.block = block }

    /// The next peer, or nil when none is live (`no live upstreams`).
    mutating func next(_ r: HTTPRequest) -> UpstreamPeer? {
        let now = CachedTime.monotonicMsec
        if block.peers.count == 1 {
            let p = block.peers[0]
            // nginx's single peer is never marked failed; tries alone bound it.
            // `tried` is only read when choosing among several peers: no set per request here.
            if p.down || p.full { return nil }
            p.conns += 1
            return p
        }
        let chosen: UpstreamPeer?
        switch block.method {
        case .roundRobin:
            chosen = roundRobin(now)
        case .leastConn:
            chosen = leastConn(block.primary, now) ?? leastConn(block.backups, now)
        case .ipHash:
            if !hash.ready { hash.prepareIP(r) }
            chosen = ipHashPeer(now) ?? roundRobin(now)
        case .hash(let key, let consistent):
            if !hash.ready { hash.prepareKey(r, key, block: consistent ? block : nil) }
            if consistent {
                switch consistentPeer(now) {
                case .peer(let p): chosen = p
                case .fallback: chosen = roundRobin(now)
                case .busy: chosen = nil
                }
            } else {
                chosen = hashPeer(now) ?? roundRobin(now)
            }
        }
        guard let p = chosen else { return nil }
        tried.insert(ObjectIdentifier(p))
        p.conns += 1
        if p.fails > 0 && p.maxFails > 0 && now - p.checked > Int64(p.failTimeout) { p.checked = now }
        return p
    }

    private func usable(_ p: UpstreamPeer, _ now: Int64) -> Bool {
        !tried.contains(ObjectIdentifier(p)) && p.available(now: now)
    }

    /// nginx's `ngx_http_upstream_get_round_robin_peer`: the primary peers, then the backups.
    private func roundRobin(_ now: Int64) -> UpstreamPeer? {
        smoothWeighted(block.primary.filter { usable($0, now) })
            ?? smoothWeighted(block.backups.filter { usable($0, now) })
    }

    private func leastConn(_ peers: [UpstreamPeer], _ now: Int64) -> UpstreamPeer? {
        var best: [UpstreamPeer] = []
        var bestScore = Double.infinity
        for p in peers where usable(p, now) {
            let score = Double(p.conns) / Double(max(1, p.weight))
            if score < bestScore {
                bestScore = score
                best = [p]
            } else if score == bestScore {
                best.append(p)
            }
        }
        return best.count == 1 ? best[0] : smoothWeighted(best)
    }

    /// Round robin over `peers` ignoring health (for tests).
    func pick(roundRobinOf peers: [UpstreamPeer]) -> UpstreamPeer { smoothWeighted(peers)! }

    /// nginx's smooth weighted round robin.
    private func smoothWeighted(_ live: [UpstreamPeer]) -> UpstreamPeer? {
        var best: UpstreamPeer? = nil
        var total = 0
        for p in live {
            p.currentWeight += p.effectiveWeight
            total += p.effectiveWeight
            if p.effectiveWeight < p.weight { p.effectiveWeight += 1 }
            if best == nil || p.currentWeight > best!.currentWeight { best = p }
        }
        best?.currentWeight -= total
        return best
    }

    /// The primary peer that owns `w` units of the total weight (down peers included).
    private func peer(atWeight w: Int, _ peers: [UpstreamPeer]) -> UpstreamPeer {
        var w = w
        var i = 0
        while w >= peers[i].weight {
            w -= peers[i].weight
            i += 1
        }
        return peers[i]
    }

    /// `ip_hash` (nginx's `ngx_http_upstream_get_ip_hash_peer`); nil means round robin.
    private mutating func ipHashPeer(_ now: Int64) -> UpstreamPeer? {
        let peers = block.primary
        if hash.tries > 20 || peers.count < 2 { return nil }
        let total = peers.reduce(0) { $0 + $1.weight }
        var h = hash.ipHash
        while true {
            for b in hash.addr { h = (h * 113 + Int(b)) % 6271 }
            let p = peer(atWeight: h % total, peers)
            if usable(p, now) {
                hash.ipHash = h
                return p
            }
            hash.tries += 1
            if hash.tries > 20 { return nil }
        }
    }

    /// `hash KEY` (nginx's `ngx_http_upstream_get_hash_peer`): Cache::Memcached's
    /// `((crc32([REHASH] KEY) >> 16) & 0x7fff) + PREV_HASH`; nil means round robin.
    private mutating func hashPeer(_ now: Int64) -> UpstreamPeer? {
        let peers = block.primary
        if hash.tries > 20 || peers.count < 2 || hash.key.isEmpty { return nil }
        let total = UInt32(peers.reduce(0) { $0 + $1.weight })
        while true {
            var c = CRC32()
            if hash.rehash > 0 { c.update(String(hash.rehash).utf8) }
            c.update(hash.key)
            hash.value &+= (c.final >> 16) & 0x7fff
            hash.rehash += 1
            let p = peer(atWeight: Int(hash.value % total), peers)
            if usable(p, now) { return p }
            hash.tries += 1
            if hash.tries > 20 { return nil }
        }
    }

    enum ConsistentPick {
        case peer(UpstreamPeer)
        case fallback
        case busy
    }

    /// `hash KEY consistent` (nginx's `ngx_http_upstream_get_chash_peer`): walks the ring
    /// from the key's point; peers sharing the point's server take turns by weight.
    private mutating func consistentPeer(_ now: Int64) -> ConsistentPick {
        let peers = block.primary
        if hash.tries > 20 || peers.count < 2 || hash.key.isEmpty { return .fallback }
        let points = block.hashRing.points
        if points.isEmpty { return .busy }
        while true {
            let server = points[hash.point % points.count].server
            var best: UpstreamPeer? = nil
            var total = 0
            for p in peers where p.server == server && usable(p, now) {
                p.currentWeight += p.effectiveWeight
                total += p.effectiveWeight
                if p.effectiveWeight < p.weight { p.effectiveWeight += 1 }
                if best == nil || p.currentWeight > best!.currentWeight { best = p }
            }
            if let b = best {
                b.currentWeight -= total
                return .peer(b)
            }
            hash.point += 1
            hash.tries += 1
            if hash.tries >= points.count { return .busy }
        }
    }
}

/// What the hash methods carry from one try of a request to the next.
struct HashState {
    var ready = false
    /// The evaluated `hash` key.
    var key: [UInt8] = []
    /// The client address bytes `ip_hash` mixes: 3 of IPv4, 16 of IPv6.
    var addr: [UInt8] = []
    var tries = 0
    var rehash = 0
    /// `hp->hash`: the running sum of `hash KEY`.
    var value: UInt32 = 0
    /// The ring index of `hash KEY consistent`.
    var point = 0
    /// `iphp->hash`.
    var ipHash = 89

    mutating func prepareKey(_ r: HTTPRequest, _ key: ComplexValue, block: UpstreamBlock?) {
        ready = true
        self.key = Array(key.evaluate(r).utf8)
        if let b = block {
            point = b.hashRing.find(CRC32.of(self.key))
        }
    }

    mutating func prepareIP(_ r: HTTPRequest) {
        ready = true
        addr = HashState.addressBytes(r.connection.remoteAddress)
    }

    /// The first 3 bytes of an IPv4 address, all 16 of an IPv6 one, or 3 zero bytes
    /// (nginx's pseudo address for other families).
    static func addressBytes(_ text: String) -> [UInt8] {
        let v4 = text.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
        if v4.count == 4 { return Array(v4.prefix(3)) }
        if text.contains(":") {
            var a = in6_addr()
            if inet_pton(AF_INET6, text, &a) == 1 {
                return withUnsafeBytes(of: &a) { Array($0) }
            }
        }
        return [0, 0, 0]
    }
}
