import Testing
@testable import MoongateHTTP

@Test func placeholder() { #expect(true) }
