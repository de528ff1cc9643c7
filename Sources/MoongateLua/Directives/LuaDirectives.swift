import CLuaJIT
import MoongateConfig
import MoongateCore
import MoongateHTTP
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// ngx_lua's directive table and module hooks. `LuaModule.register()` must run before a
/// configuration is loaded.
public enum LuaModule {
    nonisolated(unsafe) static var registered = false
    /// The main conf of the configuration being loaded.
    nonisolated(unsafe) static var loading: LuaMainConf?

    static func mainConf(_ c: BuildContext) -> LuaMainConf {
        if let m = c.cycle.moduleConf["lua"] as? LuaMainConf { return m }
        let m = LuaMainConf(packagePath: "", packageCPath: "")
        c.cycle.moduleConf["lua"] = m
        return m
    }

    /// Registers directives and process hooks.
    public static func register() {
        if registered { return }
        registered = true
        let R = DirectiveRegistry.register
        let locIf: DirectiveContext = [.http, .server, .location, .locationIf]
        func phaseDirectives(_ base: String, _ ctx: DirectiveContext, _ apply: @escaping (LuaCode, BuildContext) throws -> Void) {
            R(DirectiveSpec("\(base)_block", ctx, .exactly(0), block: .luaBlock)) { d, c in
                try apply(try LuaCode.from(d, base: base), c)
            }
            R(DirectiveSpec(base, ctx, .exactly(1))) { d, c in try apply(try LuaCode.from(d, base: base), c) }
            R(DirectiveSpec("\(base)_file", ctx, .exactly(1))) { d, c in try apply(try LuaCode.from(d, base: base), c) }
        }
        phaseDirectives("init_by_lua", .http) { code, c in
            mainConf(c).initRef = nil
            c.cycle.moduleConf["lua_init"] = code
        }
        phaseDirectives("init_worker_by_lua", .http) { code, c in c.cycle.moduleConf["lua_init_worker"] = code }
        phaseDirectives("exit_worker_by_lua", .http) { code, c in c.cycle.moduleConf["lua_exit_worker"] = code }
        phaseDirectives("content_by_lua", [.location, .locationIf]) { code, c in
            c.loc!.contentHandler = LuaPhaseHandler(code: code, phase: .content)
        }
        phaseDirectives("rewrite_by_lua", locIf) { code, c in
            c.loc!.rewriteHandlers = [LuaPhaseHandler(code: code, phase: .rewrite)]
        }
        phaseDirectives("server_rewrite_by_lua", [.http, .server]) { code, c in
            let h = LuaPhaseHandler(code: code, phase: .serverRewrite)
            if let s = c.server {
                s.serverRewriteHandlers = [h]
            } else {
                c.http!.moduleConf["server_rewrite_by_lua"] = h
            }
        }
        phaseDirectives("access_by_lua", locIf) { code, c in
            c.loc!.accessHandlers = [LuaPhaseHandler(code: code, phase: .access)]
        }
        phaseDirectives("precontent_by_lua", locIf) { code, c in
            c.loc!.precontentHandlers = [LuaPhaseHandler(code: code, phase: .precontent)]
        }
        phaseDirectives("header_filter_by_lua", locIf) { code, c in
            let conf = LuaLocConf.get(c.loc!)
            conf.headerFilter = code
        }
        phaseDirectives("body_filter_by_lua", locIf) { code, c in
            let conf = LuaLocConf.get(c.loc!)
            conf.bodyFilter = code
        }
        phaseDirectives("log_by_lua", locIf) { code, c in
            c.loc!.logHandlers = [LuaLogHandler(code: code)]
        }
        // set_by_lua $var <code> [args...]
        for (name, block) in [("set_by_lua", false), ("set_by_lua_file", false), ("set_by_lua_block", true)] {
            R(DirectiveSpec(name, [.server, .serverIf, .location, .locationIf], .atLeast(block ? 1 : 2), block: block ? .luaBlock : .none)) { d, c in
                var varName = d.args[0].value
                guard varName.hasPrefix("$") else {
                    throw ConfigError("invalid variable name \"\(varName)\"", at: d.location)
                }
                varName = String(varName.dropFirst()).lowercased()
                Variables.declare(varName)
                let code = try LuaCode.from(d, base: "set_by_lua", argIndex: 1)
                let argValues = try d.args.dropFirst(block ? 1 : 2).map { try ComplexValue($0.value, at: d.location) }
                let setter = LuaSetHandler(code: code, variable: varName, args: argValues)
                c.loc!.rewriteScript.instructions.append(.custom({ r in setter.run(r) }))
            }
        }
        R(DirectiveSpec("lua_package_path", .http, .exactly(1))) { d, c in
            mainConf(c).packagePath = d.args[0].value
            mainConf(c).pathSet = true
        }
        R(DirectiveSpec("lua_package_cpath", .http, .exactly(1))) { d, c in
            mainConf(c).packageCPath = d.args[0].value
            mainConf(c).cpathSet = true
        }
        R(DirectiveSpec("lua_code_cache", [.http, .server, .location, .locationIf], .flag)) { d, c in
            LuaLocConf.get(c.loc!).codeCache = d.flagValue
            if !d.flagValue {
                ErrorLog.shared.log(.alert, "lua_code_cache is off; this will hurt performance in \(d.location)")
            }
        }
        R(DirectiveSpec("lua_need_request_body", [.http, .server, .location, .locationIf], .flag)) { d, c in
            LuaLocConf.get(c.loc!).needRequestBody = d.flagValue
        }
        R(DirectiveSpec("lua_use_default_type", [.http, .server, .location, .locationIf], .flag)) { d, c in
            LuaLocConf.get(c.loc!).useDefaultType = d.flagValue
        }
        R(DirectiveSpec("lua_transform_underscores_in_response_headers", [.http, .server, .location, .locationIf], .flag)) { d, c in
            LuaLocConf.get(c.loc!).transformUnderscores = d.flagValue
        }
        R(DirectiveSpec("lua_check_client_abort", [.http, .server, .location, .locationIf], .flag)) { d, c in
            LuaLocConf.get(c.loc!).checkClientAbort = d.flagValue
        }
        R(DirectiveSpec("lua_load_resty_core", .http, .flag)) { _, _ in }
        R(DirectiveSpec("lua_http10_buffering", [.http, .server, .location, .locationIf], .flag)) { d, c in
            LuaLocConf.get(c.loc!).http10Buffering = d.flagValue
        }
        R(DirectiveSpec("rewrite_by_lua_no_postpone", .http, .flag)) { d, c in
            if d.flagValue {
                throw ConfigError("\"rewrite_by_lua_no_postpone on\" is not supported yet", at: d.location)
            }
        }
        R(DirectiveSpec("access_by_lua_no_postpone", .http, .flag)) { d, _ in
            if d.flagValue {
                throw ConfigError("\"access_by_lua_no_postpone on\" is not supported yet", at: d.location)
            }
        }
        let intDirectives: [(String, ReferenceWritableKeyPath<LuaMainConf, Int>)] = [
            ("lua_regex_cache_max_entries", \.regexCacheMaxEntries), ("lua_regex_match_limit", \.regexMatchLimit),
            ("lua_max_pending_timers", \.maxPendingTimers), ("lua_max_running_timers", \.maxRunningTimers),
        ]
        for (name, kp) in intDirectives {
            R(DirectiveSpec(name, .http, .exactly(1))) { d, c in
                guard let n = Int(d.args[0].value), n >= 0 else {
                    throw ConfigError("invalid number \"\(d.args[0].value)\" in \"\(name)\" directive", at: d.location)
                }
                mainConf(c)[keyPath: kp] = n
            }
        }
        let timeDirectives: [(String, ReferenceWritableKeyPath<LuaMainConf, Int>)] = [
            ("lua_socket_connect_timeout", \.socketConnectTimeout), ("lua_socket_send_timeout", \.socketSendTimeout),
            ("lua_socket_read_timeout", \.socketReadTimeout), ("lua_socket_keepalive_timeout", \.socketKeepaliveTimeout),
        ]
        for (name, kp) in timeDirectives {
            R(DirectiveSpec(name, [.http, .server, .location], .exactly(1))) { d, c in
                guard let v = ConfUnits.milliseconds(d.args[0].value) else {
                    throw ConfigError("\"\(name)\" directive invalid value", at: d.location)
                }
                LuaLocConf.setSocket(c, mainConf(c)) { $0[keyPath: kp] = v }
            }
        }
        R(DirectiveSpec("lua_socket_buffer_size", [.http, .server, .location], .exactly(1))) { d, c in
            guard let v = ConfUnits.size(d.args[0].value) else {
                throw ConfigError("\"lua_socket_buffer_size\" directive invalid value", at: d.location)
            }
            LuaLocConf.setSocket(c, mainConf(c)) { $0.socketBufferSize = v }
        }
        R(DirectiveSpec("lua_socket_pool_size", [.http, .server, .location], .exactly(1))) { d, c in
            guard let v = Int(d.args[0].value), v > 0 else {
                throw ConfigError("invalid value \"\(d.args[0].value)\"", at: d.location)
            }
            LuaLocConf.setSocket(c, mainConf(c)) { $0.socketPoolSize = v }
        }
        R(DirectiveSpec("lua_socket_log_errors", [.http, .server, .location], .flag)) { d, c in
            let v = d.flagValue
            LuaLocConf.setSocket(c, mainConf(c)) { $0.socketLogErrors = v }
        }
        LuaSSLDirectives.register(R, mainConf)
        R(DirectiveSpec("lua_shared_dict", .http, .atLeast(2))) { d, c in
            let name = d.args[0].value
            guard let size = ConfUnits.size(d.args[1].value), size > 0 else {
                throw ConfigError("invalid lua shared dict size \"\(d.args[1].value)\"", at: d.location)
            }
            if size < 8192 {
                throw ConfigError("invalid lua shared dict size \"\(d.args[1].value)\"", at: d.location)
            }
            let m = mainConf(c)
            if m.sharedDicts.contains(where: { $0.name == name }) {
                throw ConfigError("lua_shared_dict \"\(name)\" is already defined as \"\(name)\"", at: d.location)
            }
            var persist: String? = nil
            for a in d.values.dropFirst(2) {
                if a.hasPrefix("persist=") && a.count > 8 {
                    persist = String(a.dropFirst(8))
                } else {
                    throw ConfigError("invalid parameter \"\(a)\" in \"lua_shared_dict\" directive", at: d.location)
                }
            }
            m.sharedDicts.append((name, size, d.location.description, persist))
        }
        LuaResolverConf.register()
        ErrorLogCapture.register()
        LuaBalancer.register()
        DirectiveRegistry.onPostConfiguration(postConfiguration)
        ModuleHooks.initMaster.append(initMaster)
        ModuleHooks.initWorker.append(initWorker)
        ModuleHooks.exitWorker.append(exitWorker)
        ModuleHooks.exitMaster.append(exitMaster)
    }

    /// Creates the VM for the new configuration and compiles its code.
    static func postConfiguration(_ cycle: CycleConfig) throws {
        let codes = LuaCode.pending
        LuaCode.pending = []
        // Attach filters to every location level that has Lua filter code.
        if let http = cycle.http {
            func attach(_ l: LocationConfig) {
                if let lc = LuaLocConf.of(l), lc.headerFilter != nil || lc.bodyFilter != nil {
                    l.filters = [LuaFilter(header: lc.headerFilter, body: lc.bodyFilter)]
                }
                for ch in l.children { attach(ch) }
                for ch in l.named.values { attach(ch) }
                for ins in l.rewriteScript.instructions {
                    if case .ifBlock(_, let il) = ins { attach(il) }
                }
            }
            for s in http.servers { attach(s.serverLevel) }
        }
        if let http = cycle.http, let h = http.moduleConf["server_rewrite_by_lua"] as? PhaseHandler {
            for s in http.servers where s.serverRewriteHandlers.isEmpty { s.serverRewriteHandlers = [h] }
        }
        let m = cycle.moduleConf["lua"] as? LuaMainConf ?? LuaMainConf(packagePath: "", packageCPath: "")
        cycle.moduleConf["lua"] = m
        m.packagePath = LuaPaths.packagePath(configured: m.pathSet ? m.packagePath : nil, prefix: cycle.prefix)
        m.packageCPath = LuaPaths.packageCPath(configured: m.cpathSet ? m.packageCPath : nil, prefix: cycle.prefix)
        let rt: LuaRuntime
        do {
            rt = try LuaRuntime(mainConf: m)
        } catch {
            throw ConfigError("failed to initialize Lua VM: \(error)", at: nil)
        }
        for c in codes { try c.compile(rt) }
        LuaRuntime.shared = rt
    }

    static func runInitCode(_ key: String, _ cycle: CycleConfig, phase: LuaPhase, name: String) -> String? {
        guard let code = cycle.moduleConf[key] as? LuaCode, let rt = LuaRuntime.shared else { return nil }
        let ctx = LuaRequestContext(request: nil, phase: phase)
        guard let fn = code.function(rt, nil, log: { ErrorLog.shared.log(.error, $0) }) else {
            return "failed to load \(name) code"
        }
        return rt.callSync(ref: fn.ref, context: ctx)
    }

    static func initMaster(_ cycle: CycleConfig) throws {
        if let m = cycle.moduleConf["lua"] as? LuaMainConf {
            try SharedDicts.setUp(m, prefix: cycle.prefix)
        }
        if let err = runInitCode("lua_init", cycle, phase: .initPhase, name: "init_by_lua") {
            throw CoreError("init_by_lua error: \(err)")
        }
        LuaRuntime.initCode = cycle.moduleConf["lua_init"] as? LuaCode
        LuaRuntime.shared?.lockGlobals()
    }

    static func initWorker(_ cycle: CycleConfig, _ loop: EventLoop) {
        LuaScheduler.loop = loop
        // fork copied the master's PRNG state: each worker gets its own sequence, seeded
        // before the first Lua code it runs (LuaRuntime.seedRandomIfPending).
        if LuaRuntime.shared != nil {
            let seed = Int(getpid()) &* 1_000_003 &+ Int(CachedTime.milliseconds % 1_000_000_007)
            LuaRuntime.pendingRandomSeed = Double(seed % 2_147_483_647)
        }
        if let err = runInitCode("lua_init_worker", cycle, phase: .initWorker, name: "init_worker_by_lua") {
            ErrorLog.shared.log(.error, "failed to run init_worker_by_lua*: \(err)")
        }
    }

    static func exitMaster(_ cycle: CycleConfig) {
        if let m = cycle.moduleConf["lua"] as? LuaMainConf { SharedDicts.persist(m, prefix: cycle.prefix) }
    }

    static func exitWorker(_ cycle: CycleConfig) {
        if WorkerInfo.processType == "single" { exitMaster(cycle) }
        if let err = runInitCode("lua_exit_worker", cycle, phase: .exitWorker, name: "exit_worker_by_lua") {
            ErrorLog.shared.log(.error, "failed to run exit_worker_by_lua*: \(err)")
        }
    }
}

/// `set_by_lua*`: runs synchronously in the rewrite script.
final class LuaSetHandler {
    let code: LuaCode
    let variable: String
    let args: [ComplexValue]

    init(code: LuaCode, variable: String, args: [ComplexValue]) {
        self.code = code
        self.variable = variable
        self.args = args
    }

    func run(_ r: HTTPRequest) -> Bool {
        let ctx = LuaRequestContext.of(r, phase: .set)
        guard let rt = ctx.runtime else { return false }
        ctx.setArgs = args.map { $0.evaluate(r) }
        guard let fn = code.function(rt, r, log: { r.log(.error, $0) }) else { return false }
        defer { if fn.temporary { rt.release(fn.ref) } }
        let L = rt.L
        let top = lua_gettop(L)
        if let err = rt.callSync(ref: fn.ref, context: ctx, nresults: 1) {
            r.log(.error, "failed to run set_by_lua*: \(err)")
            return false
        }
        let v = lua_type(L, -1) == LUA_TNIL ? "" : (rt.vm.luaString(at: -1, convert: true) ?? "")
        lua_settop(L, top)
        r.userVars[variable] = v
        return true
    }
}
