import MoongateConfig
import MoongateCore

/// Regexes written in the configuration (`location ~`, `server_name ~`, `rewrite`, `if`):
/// like `ngx_http_regex_compile`, named captures become variables usable in the rest
/// of the file.
enum ConfigRegex {
    static func compile(_ pattern: String, caseless: Bool = false, at location: SourceLocation) throws -> Regex {
        let re: Regex
        do {
            re = try Regex(pattern, caseless: caseless)
        } catch {
            throw ConfigError("\(error)", at: location)
        }
        for (name, _) in re.names { Variables.declare(name) }
        return re
    }
}
