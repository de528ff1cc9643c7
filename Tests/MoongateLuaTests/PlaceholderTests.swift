import Testing
@testable import MoongateLua

@Test func placeholder() { #expect(true) }
