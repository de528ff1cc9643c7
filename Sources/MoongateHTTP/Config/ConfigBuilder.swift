import MoongateConfig
import MoongateCore

/// The state a directive handler sees while the tree is walked.
public final class BuildContext {
    public let cycle: CycleConfig
    public var http: HTTPConfig?
    public var server: ServerConfig?
    /// Current location-level config (http level, server level, a location or an if block).
    public var loc: LocationConfig?
    public var context: DirectiveContext
    /// Upstream-block state for modules (proxy module).
    public var upstream: AnyObject?

    init(cycle: CycleConfig) {
        self.cycle = cycle
        self.context = .main
    }
}

/// A module's handler for one directive.
public typealias DirectiveHandler = (ConfDirective, BuildContext) throws -> Void

/// All known directives: the core tables plus what modules register (ngx_lua registers
/// its `*_by_lua*` directives here before the configuration is read).
public enum DirectiveRegistry {
    nonisolated(unsafe) static var table: [String: (DirectiveSpec, DirectiveHandler)] = [:]
    nonisolated(unsafe) static var postConfiguration: [(CycleConfig) throws -> Void] = []
    nonisolated(unsafe) static var coreRegistered = false

    /// Adds a directive.
    public static func register(_ spec: DirectiveSpec, _ handler: @escaping DirectiveHandler) {
        table[spec.name] = (spec, handler)
    }

    /// Runs after the whole file was read and merged (module postconfiguration).
    public static func onPostConfiguration(_ f: @escaping (CycleConfig) throws -> Void) {
        postConfiguration.append(f)
    }

    /// Directives of nginx modules we do not implement that are harmless: accepted with a
    /// `[warn]` line.
    public static let ignored: [String: DirectiveContext] = [
        "load_module": .main, "user": .main, "worker_rlimit_nofile": .main, "worker_cpu_affinity": .main,
        "worker_priority": .main, "timer_resolution": .main, "pcre_jit": .main, "thread_pool": .main,
        "lock_file": .main, "working_directory": .main, "worker_rlimit_core": .main,
        "accept_mutex": .events, "accept_mutex_delay": .events, "multi_accept": .events, "use": .events,
        "client_body_temp_path": .httpAll, "fastcgi_temp_path": .httpAll,
        "uwsgi_temp_path": .httpAll, "scgi_temp_path": .httpAll, "lingering_close": .httpAll,
        "lingering_time": .httpAll, "lingering_timeout": .httpAll, "server_tokens": .httpAll,
        "postpone_output": .httpAll, "sendfile": .httpAll, "tcp_nopush": .httpAll, "tcp_nodelay": .httpAll,
        "reset_timedout_connection": .httpAll, "open_file_cache": .httpAll, "open_file_cache_valid": .httpAll,
        "open_file_cache_min_uses": .httpAll, "open_file_cache_errors": .httpAll, "output_buffers": .httpAll,
        "types_hash_max_size": .http, "types_hash_bucket_size": .http, "server_names_hash_bucket_size": .http,
        "server_names_hash_max_size": .http, "variables_hash_max_size": .http, "variables_hash_bucket_size": .http,
        "map_hash_bucket_size": .http, "sendfile_max_chunk": .httpAll, "aio": .httpAll, "directio": .httpAll,
        "log_subrequest": .httpAll, "connection_pool_size": .httpAll, "request_pool_size": .httpAll,
        "client_body_in_file_only": .httpAll, "client_body_in_single_buffer": .httpAll,
        "msie_refresh": .httpAll, "disable_symlinks": .httpAll,
        "keepalive_disable": .httpAll, "send_lowat": .httpAll,
        "open_log_file_cache": .httpAll, "satisfy": .httpAll, "subrequest_output_buffer_size": .httpAll,
    ]

    /// Of the ignored directives, those whose other values would change behaviour: only
    /// these values are accepted (with the warning); any other is refused.
    public static let ignoredOnlyAs: [String: Set<String>] = [
        "log_subrequest": ["off"], "disable_symlinks": ["off"], "client_body_in_file_only": ["off"],
        "msie_refresh": ["off"], "satisfy": ["all"],
    ]

    static func lookup(_ name: String) -> (DirectiveSpec, DirectiveHandler)? {
        if !coreRegistered {
            coreRegistered = true
            CoreDirectives.registerAll()
            LimitExcept.register()
            ExpiresSetting.register()
            SSLDirectives.registerAll()
            GzipConf.register()
            CharsetConf.register()
        }
        return table[name]
    }
}

/// Reads a configuration file into a `CycleConfig` (nginx's `ngx_init_cycle` parsing part).
public enum ConfigLoader {
    /// Parses `confPath` with `-g` directives applied; throws a `ConfigError` with file:line.
    public static func load(prefix: String, confPath: String, globalDirectives: String? = nil) throws -> CycleConfig {
        let cycle = CycleConfig(prefix: prefix, confPath: confPath)
        Variables.prefix = prefix
        Variables.declared = []
        Variables.pendingChecks = []
        CharsetConf.known = []
        var parser = ConfParser(confDirectory: cycle.confDirectory)
        var tree: [ConfDirective] = []
        if let g = globalDirectives, !g.isEmpty {
            do {
                tree += try parser.parse(text: g, file: "command line")
            } catch let e as ConfigError where e.message.hasPrefix("unexpected end of file") {
                throw ConfigError("unexpected end of parameter, expecting \";\"", at: e.location)
            }
        }
        tree += try parser.parseFile(confPath)
        cycle.confFiles = parser.filesRead
        let ctx = BuildContext(cycle: cycle)
        try walk(tree, ctx)
        try Variables.checkPending()
        if let http = cycle.http {
            http.httpLevel.applyDefaults()
            for s in http.servers {
                for (name, apply) in http.serverDefaults where !s.explicitSettings.contains(name) { apply(s) }
                mergeTree(s.serverLevel, parent: http.httpLevel)
            }
            if http.servers.isEmpty == false {
                http.buildListenGroups()
            }
        }
        for f in DirectiveRegistry.postConfiguration { try f(cycle) }
        return cycle
    }

    static func mergeTree(_ l: LocationConfig, parent: LocationConfig) {
        l.merge(from: parent)
        for c in l.children { mergeTree(c, parent: l) }
        for c in l.named.values { mergeTree(c, parent: l) }
        if let le = l.limitExcept { mergeIf(le.config, parent: l) }
        for ins in l.rewriteScript.instructions {
            if case .ifBlock(_, let ifLoc) = ins { mergeIf(ifLoc, parent: l) }
        }
    }

    static func mergeIf(_ l: LocationConfig, parent: LocationConfig) {
        l.merge(from: parent)
        if l.contentHandler == nil { l.contentHandler = parent.contentHandler }
        if l.rewriteHandlers.isEmpty { l.rewriteHandlers = parent.rewriteHandlers }
        if l.accessHandlers.isEmpty { l.accessHandlers = parent.accessHandlers }
        if l.precontentHandlers.isEmpty { l.precontentHandlers = parent.precontentHandlers }
        if l.tryFiles == nil { l.tryFiles = parent.tryFiles }
        for ins in l.rewriteScript.instructions {
            if case .ifBlock(_, let ifLoc) = ins { mergeIf(ifLoc, parent: l) }
        }
    }

    /// Directives that take one value per block: nginx's standard slots say
    /// `"root" directive is duplicate` when one is repeated in the same block.
    static let singleValued: Set<String> = [
        "daemon", "master_process", "worker_processes", "pid", "worker_shutdown_timeout", "events",
        "worker_connections", "root", "default_type", "client_max_body_size", "client_body_buffer_size",
        "client_body_timeout", "client_header_timeout", "client_header_buffer_size", "large_client_header_buffers",
        "send_timeout", "keepalive_timeout", "keepalive_requests", "merge_slashes", "underscores_in_headers",
        "ignore_invalid_headers", "chunked_transfer_encoding", "etag", "if_modified_since", "log_not_found",
        "recursive_error_pages", "absolute_redirect", "server_name_in_redirect", "port_in_redirect", "msie_padding",
        "rewrite_log", "uninitialized_variable_warn", "expires", "try_files", "limit_except", "server_tokens",
    ]

    /// Walks directives in the current context, dispatching to handlers.
    public static func walk(_ list: [ConfDirective], _ ctx: BuildContext) throws {
        var seen: Set<String> = []
        for d in list {
            if singleValued.contains(d.name) && !seen.insert(d.name).inserted {
                throw ConfigError("\"\(d.name)\" directive is duplicate", at: d.location)
            }
            if d.name == "root" || d.name == "alias" {
                let other = d.name == "root" ? "alias" : "root"
                if seen.contains(other) {
                    throw ConfigError(
                        "\"\(d.name)\" directive is duplicate, \"\(other)\" directive was specified earlier",
                        at: d.location)
                }
                if d.name == "alias" && !seen.insert("alias").inserted {
                    throw ConfigError("\"alias\" directive is duplicate", at: d.location)
                }
            }
            if let (spec, handler) = DirectiveRegistry.lookup(d.name) {
                try d.validate(against: spec, in: ctx.context)
                try handler(d, ctx)
                continue
            }
            if let allowed = DirectiveRegistry.ignored[d.name] {
                if !allowed.contains(ctx.context) && !(allowed == .httpAll && (ctx.context == .locationIf)) {
                    throw ConfigError("\"\(d.name)\" directive is not allowed here", at: d.location)
                }
                if let only = DirectiveRegistry.ignoredOnlyAs[d.name],
                    let v = d.args.first?.value, !only.contains(v.lowercased())
                {
                    throw ConfigError(
                        "\"\(d.name) \(v)\" is not supported by moongate (only \(only.sorted().joined(separator: ", ")))",
                        at: d.location)
                }
                ctx.cycle.warnings.append(
                    ConfigError("\"\(d.name)\" directive is ignored by moongate", at: d.location))
                continue
            }
            throw ConfigError("unknown directive \"\(d.name)\"", at: d.location)
        }
    }
}
