/// A position in a configuration file, for error messages like nginx's `in /abs/nginx.conf:12`.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    /// Absolute path of the file.
    public var file: String
    /// 1-based line number.
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}

/// One argument of a directive as written in the file.
public struct ConfArgument: Hashable, Sendable {
    /// The value after quote and escape processing.
    public var value: String
    /// Whether it was written in `'` or `"` quotes (nginx treats some quoted values differently).
    public var quoted: Bool

    public init(_ value: String, quoted: Bool = false) {
        self.value = value
        self.quoted = quoted
    }
}

/// A directive and, for block directives, its children. Lua blocks
/// (`content_by_lua_block { ... }`) carry their raw Lua source as `luaSource`.
public struct ConfDirective: Sendable {
    public var name: String
    public var args: [ConfArgument]
    /// Children for `{ ... }` blocks; `nil` for simple directives.
    public var block: [ConfDirective]?
    /// Raw Lua source for `*_by_lua_block` directives.
    public var luaSource: String?
    /// Where the directive's name was written.
    public var location: SourceLocation

    public init(
        name: String, args: [ConfArgument], block: [ConfDirective]? = nil, luaSource: String? = nil,
        location: SourceLocation
    ) {
        self.name = name
        self.args = args
        self.block = block
        self.luaSource = luaSource
        self.location = location
    }

    /// The argument values without quoting information.
    public var values: [String] { args.map(\.value) }
}

/// A configuration error in nginx's words; `description` reads
/// `unknown directive "foo" in /abs/conf/nginx.conf:12`.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var location: SourceLocation?

    public init(_ message: String, at location: SourceLocation?) {
        self.message = message
        self.location = location
    }

    public var description: String {
        // Directives given with -g are "in command line", with no line number.
        if let location, location.file == "command line" { return "\(message) in command line" }
        if let location { return "\(message) in \(location)" }
        return message
    }
}
