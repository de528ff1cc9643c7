import CMoongate
import Testing

/// The master fills the Swift runtime's conformance cache before it forks workers
/// (Sources/CMoongate/prewarm.c). Its names are weak references to NIO's and the
/// runtime's symbols: one that a new NIO release renamed would silently turn the
/// lookups that need it back into record walks in every worker. This build has them all.
@Test func prewarmFindsEveryNameItAsksAbout() {
    #expect(mg_prewarm_unresolved() == 0)
    // Runs, and runs once: the second call returns at once.
    mg_prewarm_conformances(unsafeBitCast(Any.self as Any.Type, to: UnsafeRawPointer.self))
    mg_prewarm_conformances(unsafeBitCast(Any.self as Any.Type, to: UnsafeRawPointer.self))
}
