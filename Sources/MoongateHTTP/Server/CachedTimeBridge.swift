import MoongateCore

enum CachedTimeBridge {
    static func httpTime(_ s: Int) -> String { CachedTime.httpTime(for: s) }
}
