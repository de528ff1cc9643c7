import NIOSSL

/// OpenSSL's names of protocol versions (`$ssl_protocol`, `ssl_protocols`).
enum TLSVersionName {
    static func name(_ v: TLSVersion) -> String {
        switch v {
        case .tlsv1: return "TLSv1"
        case .tlsv11: return "TLSv1.1"
        case .tlsv12: return "TLSv1.2"
        case .tlsv13: return "TLSv1.3"
        }
    }

    static func version(_ name: String) -> TLSVersion? {
        switch name {
        case "TLSv1": return .tlsv1
        case "TLSv1.1": return .tlsv11
        case "TLSv1.2": return .tlsv12
        case "TLSv1.3": return .tlsv13
        default: return nil
        }
    }

    /// The lowest and highest of `names` (nil when none is a TLS version).
    static func range(_ names: [String]) -> (TLSVersion, TLSVersion)? {
        let order: [TLSVersion] = [.tlsv1, .tlsv11, .tlsv12, .tlsv13]
        let vs = names.compactMap(version)
        guard let lo = order.first(where: { vs.contains($0) }), let hi = order.last(where: { vs.contains($0) })
        else { return nil }
        return (lo, hi)
    }
}
