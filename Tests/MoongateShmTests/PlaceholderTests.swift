import Testing
@testable import MoongateShm

@Test func placeholder() { #expect(true) }
