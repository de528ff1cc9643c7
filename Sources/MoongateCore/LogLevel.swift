/// nginx's log levels, numbered as ngx_lua exposes them (`ngx.STDERR` .. `ngx.DEBUG`).
public enum LogLevel: Int, Comparable, Sendable, CaseIterable {
    case stderr = 0
    case emerg = 1
    case alert = 2
    case crit = 3
    case error = 4
    case warn = 5
    case notice = 6
    case info = 7
    case debug = 8

    /// The word nginx prints between brackets (`[error]`).
    public var name: String {
        switch self {
        case .stderr: return ""
        case .emerg: return "emerg"
        case .alert: return "alert"
        case .crit: return "crit"
        case .error: return "error"
        case .warn: return "warn"
        case .notice: return "notice"
        case .info: return "info"
        case .debug: return "debug"
        }
    }

    /// Parses a level as written in `error_log FILE LEVEL`.
    public init?(name: String) {
        switch name {
        case "emerg": self = .emerg
        case "alert": self = .alert
        case "crit": self = .crit
        case "error": self = .error
        case "warn": self = .warn
        case "notice": self = .notice
        case "info": self = .info
        case "debug": self = .debug
        default: return nil
        }
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}
