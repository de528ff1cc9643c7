import Testing
@testable import MoongateConfig

@Test func placeholder() { #expect(true) }
