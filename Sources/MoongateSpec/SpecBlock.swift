import Foundation

/// One `--- name modifiers` section of a test block.
public struct SpecSection: Equatable, Sendable {
    /// The section name, e.g. `response_body`.
    public var name: String
    /// Test::Base filters after the name, e.g. `["eval"]` or `["chomp"]`.
    public var modifiers: [String]
    /// The text of the section after Test::Base's default `trim` (or the inline value).
    public var value: String
    /// The 1-based line of the `---` header in the spec file.
    public var line: Int

    /// Creates a section.
    public init(name: String, modifiers: [String] = [], value: String, line: Int = 0) {
        self.name = name
        self.modifiers = modifiers
        self.value = value
        self.line = line
    }

    /// True when the section carries the `eval` filter.
    public var isEval: Bool { modifiers.contains("eval") }
}

/// One `=== TEST N: name` block of a spec file.
public struct SpecBlock: Equatable, Sendable {
    /// The block title after `=== `, e.g. `TEST 1: sanity`.
    public var name: String
    /// The 1-based line of the `===` header.
    public var line: Int
    /// The sections in file order.
    public var sections: [SpecSection]

    /// Creates a block.
    public init(name: String, line: Int = 0, sections: [SpecSection] = []) {
        self.name = name
        self.line = line
        self.sections = sections
    }

    /// The last section with this name (Test::Base lets a later one win).
    public func section(_ name: String) -> SpecSection? {
        sections.last { $0.name == name }
    }

    /// True when the block has a section with this name.
    public func has(_ name: String) -> Bool { section(name) != nil }

    /// True when the block is marked `--- SKIP`.
    public var isSkipped: Bool { has("SKIP") }

    /// True when the block is marked `--- ONLY`.
    public var isOnly: Bool { has("ONLY") }
}
