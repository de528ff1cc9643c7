import Testing
@testable import MoongateSpec

@Test func placeholder() { #expect(true) }
