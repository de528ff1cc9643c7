/// Where a directive may appear, as nginx's `NGX_*_CONF` flags.
public struct DirectiveContext: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let main = DirectiveContext(rawValue: 1 << 0)
    public static let events = DirectiveContext(rawValue: 1 << 1)
    public static let http = DirectiveContext(rawValue: 1 << 2)
    public static let server = DirectiveContext(rawValue: 1 << 3)
    public static let location = DirectiveContext(rawValue: 1 << 4)
    public static let serverIf = DirectiveContext(rawValue: 1 << 5)
    public static let locationIf = DirectiveContext(rawValue: 1 << 6)
    public static let upstream = DirectiveContext(rawValue: 1 << 7)
    public static let limitExcept = DirectiveContext(rawValue: 1 << 8)
    public static let types = DirectiveContext(rawValue: 1 << 9)

    /// http, server and location: most http directives.
    public static let httpAll: DirectiveContext = [.http, .server, .location]
}

/// How many arguments a directive takes, as nginx's `NGX_CONF_TAKE*` flags.
public enum DirectiveArity: Sendable {
    case exactly(Int)
    case oneOf([Int])
    case atLeast(Int)
    /// `on` or `off`.
    case flag

    /// Whether `n` arguments are acceptable.
    public func accepts(_ n: Int) -> Bool {
        switch self {
        case .exactly(let k): return n == k
        case .oneOf(let ks): return ks.contains(n)
        case .atLeast(let k): return n >= k
        case .flag: return n == 1
        }
    }
}

/// Whether the directive opens a `{}` block.
public enum DirectiveBlockKind: Sendable {
    case none
    case block
    case luaBlock
}

/// One entry of a module's directive table.
public struct DirectiveSpec: Sendable {
    public var name: String
    public var contexts: DirectiveContext
    public var arity: DirectiveArity
    public var block: DirectiveBlockKind

    public init(_ name: String, _ contexts: DirectiveContext, _ arity: DirectiveArity, block: DirectiveBlockKind = .none) {
        self.name = name
        self.contexts = contexts
        self.arity = arity
        self.block = block
    }
}

extension ConfDirective {
    /// Checks the shape against a spec, throwing nginx's messages.
    public func validate(against spec: DirectiveSpec, in context: DirectiveContext) throws {
        if !spec.contexts.contains(context) {
            throw ConfigError("\"\(name)\" directive is not allowed here", at: location)
        }
        switch spec.block {
        case .none:
            if block != nil || luaSource != nil {
                throw ConfigError("directive \"\(name)\" has no opening \"{\"", at: location).withMessage(
                    "unexpected \"{\"")
            }
        case .block:
            if block == nil {
                throw ConfigError("directive \"\(name)\" has no opening \"{\"", at: location)
            }
        case .luaBlock:
            if luaSource == nil {
                throw ConfigError("directive \"\(name)\" has no opening \"{\"", at: location)
            }
        }
        if !spec.arity.accepts(args.count) {
            throw ConfigError("invalid number of arguments in \"\(name)\" directive", at: location)
        }
        if case .flag = spec.arity {
            let v = args[0].value.lowercased()
            if v != "on" && v != "off" {
                throw ConfigError(
                    "invalid value \"\(args[0].value)\" in \"\(name)\" directive, it must be \"on\" or \"off\"",
                    at: location)
            }
        }
    }

    /// The value of an `on|off` directive.
    public var flagValue: Bool { args.first?.value.lowercased() == "on" }
}

extension ConfigError {
    func withMessage(_ m: String) -> ConfigError {
        var e = self
        e.message = m
        return e
    }
}
