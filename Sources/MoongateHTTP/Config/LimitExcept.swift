import MoongateConfig
import MoongateCore

/// `limit_except METHOD ... { ... }`: a configuration that replaces the location's for
/// requests whose method is not listed (nginx's `limit_except_loc_conf`).
public final class LimitExcept {
    /// Allowed methods (`GET` implies `HEAD`).
    public let methods: Set<String>
    /// The settings used for other methods; inherits from the enclosing location.
    public let config: LocationConfig

    init(methods: Set<String>, config: LocationConfig) {
        self.methods = methods
        self.config = config
    }

    static let known: Set<String> = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "MKCOL", "COPY", "MOVE", "OPTIONS", "PROPFIND", "PROPPATCH",
        "LOCK", "UNLOCK", "PATCH",
    ]

    static func register() {
        DirectiveRegistry.register(DirectiveSpec("limit_except", .location, .atLeast(1), block: .block)) { d, c in
            let parent = c.loc!
            if parent.limitExcept != nil {
                throw ConfigError("\"limit_except\" directive is duplicate", at: d.location)
            }
            var methods: Set<String> = []
            for a in d.args {
                let m = a.value.uppercased()
                guard known.contains(m) else {
                    throw ConfigError("invalid method \"\(a.value)\"", at: d.location)
                }
                methods.insert(m)
                if m == "GET" { methods.insert("HEAD") }
            }
            let l = LocationConfig(match: .ifBlock, location: d.location, parent: parent)
            l.server = c.server
            let saved = c.context
            c.context = .limitExcept
            c.loc = l
            try ConfigLoader.walk(d.block ?? [], c)
            c.loc = parent
            c.context = saved
            parent.limitExcept = LimitExcept(methods: methods, config: l)
        }
    }
}
