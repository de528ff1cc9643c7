import CLuaJIT
import CMoongate
import MoongateCore
import MoongateHTTP
#if canImport(Glibc)
import Glibc
#endif

/// The process's Lua VM and code cache (ngx_lua's `lmcf->lua` plus its code cache).
/// Created in the master after the configuration was read; workers inherit it by fork.
public final class LuaRuntime {
    /// The runtime of this process, nil until a configuration with Lua was loaded.
    nonisolated(unsafe) public static var shared: LuaRuntime?
    /// The request (or timer) context whose Lua code runs right now. Kept unretained
    /// (a plain pointer, statically nil): only `LuaThread.run` and `callSync` set it, to a
    /// context they hold while it is current, and they give back the previous one, held
    /// by the frame below them. Readers get a strong reference as before.
    nonisolated(unsafe) private static var currentRef: Unmanaged<LuaRequestContext>? = nil
    static var current: LuaRequestContext? {
        @inline(__always) get { currentRef?.takeUnretainedValue() }
        @inline(__always) set { currentRef = newValue.map { Unmanaged.passUnretained($0) } }
    }
    /// The running context's phase and serial, read without a strong reference.
    static var currentPhase: LuaPhase? {
        @inline(__always) get { currentRef?._withUnsafeGuaranteedRef { $0.phase } }
    }
    static var currentSerial: UInt64? {
        @inline(__always) get { currentRef?._withUnsafeGuaranteedRef { $0.serial } }
    }
    /// `current` as stored (no retain): what `run` and `callSync` save and give back.
    static var currentUnretained: Unmanaged<LuaRequestContext>? {
        @inline(__always) get { currentRef }
        @inline(__always) set { currentRef = newValue }
    }

    public let vm: LuaState
    var L: OpaquePointer { vm.L }
    /// Registry ref of the Lua-side helper table returned by `moongate.runtime`.
    private(set) var helpersRef: Int32 = LUA_NOREF
    /// Registry ref of the helpers' `traceback` (the error handler of every `callSync`).
    private var tracebackRef: Int32 = LUA_NOREF
    /// Compiled chunks by cache key (`content_by_lua(nginx.conf:40)` or a file path).
    var codeCache: [String: Int32] = [:]
    /// Settings of the running configuration.
    public var mainConf: LuaMainConf
    /// Finished coroutines of this VM, reused by the next entry threads.
    var threadPool: [(OpaquePointer, Int32)] = []
    /// Refs of module functions Swift starts threads with (`LuaModuleRef`).
    var moduleRefs: [String: Int32] = [:]

    init(mainConf: LuaMainConf) throws {
        self.mainConf = mainConf
        vm = try LuaState(packagePath: mainConf.packagePath, packageCPath: mainConf.packageCPath)
        try bootstrap()
    }

    private func bootstrap() throws {
        // `ngx` exists before any module loads, as in ngx_lua.
        mg_lua_newtable(L)
        // ngx.null is a NULL light userdata, equal to cjson.null as in OpenResty.
        lua_pushlightuserdata(L, nil)
        lua_setfield(L, -2, "null")
        mg_lua_setglobal(L, "ngx")
        registerCFunctions()
        let results = try vm.run("return require('moongate.runtime').ref()", chunkName: "=bootstrap")
        _ = results
        mg_lua_getglobal(L, "__moongate_runtime")
        helpersRef = luaL_ref(L, mg_lua_registryindex())
        pushHelper("traceback")
        tracebackRef = luaL_ref(L, mg_lua_registryindex())
        try vm.run("__moongate_runtime = nil", chunkName: "=bootstrap")
    }

    /// Pushes a helper function of `moongate.runtime` onto the stack.
    func pushHelper(_ name: String) {
        lua_rawgeti(L, mg_lua_registryindex(), helpersRef)
        lua_getfield(L, -1, name)
        lua_remove(L, -2)
    }

    /// Compiles Lua source once; returns the registry ref of the function.
    /// - Parameter chunkName: ngx_lua's name, e.g. `content_by_lua(nginx.conf:40)` (or `@path` for files).
    public func compile(source: String, chunkName: String, cacheKey: String? = nil, fixedArgs: Bool = false) throws -> Int32 {
        let key = cacheKey ?? chunkName
        if let ref = codeCache[key] { return ref }
        let name = chunkName.hasPrefix("@") ? chunkName : "=" + chunkName
        let status = source.withCString { p in luaL_loadbuffer(L, p, strlen(p), name) }
        if status != 0 {
            let msg = vm.luaString(at: -1) ?? "unknown error"
            mg_lua_pop(L, 1)
            throw LuaError.syntax(msg)
        }
        if fixedArgs {
            // A handler's main chunk without the vararg flag (when it does not use
            // `...`), so that the JIT compiles it from its entry: see
            // `fixed_args` in moongate/runtime.lua.
            pushHelper("fixed_args")
            lua_insert(L, -2)
            if lua_pcall(L, 1, 1, 0) != 0 || lua_type(L, -1) != LUA_TFUNCTION {
                mg_lua_pop(L, 1)
                _ = source.withCString { p in luaL_loadbuffer(L, p, strlen(p), name) }
            }
        }
        let ref = luaL_ref(L, mg_lua_registryindex())
        codeCache[key] = ref
        return ref
    }

    /// Loads a file (`*_by_lua_file`); cached unless `lua_code_cache off`.
    public func compileFile(path: String, useCache: Bool) throws -> Int32 {
        if useCache, let ref = codeCache["file:" + path] { return ref }
        let status = luaL_loadfile(L, path)
        if status != 0 {
            let msg = vm.luaString(at: -1) ?? "unknown error"
            mg_lua_pop(L, 1)
            throw LuaError.syntax(msg)
        }
        let ref = luaL_ref(L, mg_lua_registryindex())
        if useCache {
            codeCache["file:" + path] = ref
        }
        return ref
    }

    /// Releases a ref made by `compileFile(useCache: false)`.
    func release(_ ref: Int32) {
        luaL_unref(L, mg_lua_registryindex(), ref)
    }

    /// This worker's `math.randomseed` argument, until the first Lua code the worker runs:
    /// fork copied the master's PRNG state, and each worker gets its own sequence. Not
    /// seeded at fork: the call runs LuaJIT's interpreter, whose code (~430 KB of
    /// fault-around windows) would then stay resident in workers that run no Lua at all
    /// (static files, proxies). Every way into Lua code in a worker calls
    /// `seedRandomIfPending` first: a thread's resume (handlers, timers, light threads),
    /// a synchronous call (init_worker_by_lua, filters, log, set_by_lua), a module's
    /// require. (`LuaState.run` only runs in the master, before any worker exists.)
    nonisolated(unsafe) public static var pendingRandomSeed: Double?

    /// Seeds the worker's VM (`shared`; `L` in tests), whichever VM the code about to run
    /// uses: a request VM of `lua_code_cache off` must not take the worker VM's seed.
    @inline(__always) public static func seedRandomIfPending(_ L: OpaquePointer? = nil) {
        if let seed = pendingRandomSeed, let L = L ?? shared?.L { seedRandom(L, seed) }
    }

    /// `math.randomseed(seed)`, called through the API, not as a chunk of source:
    /// compiling one would run LuaJIT's lexer and parser too.
    static func seedRandom(_ L: OpaquePointer, _ seed: Double) {
        pendingRandomSeed = nil
        let top = lua_gettop(L)
        mg_lua_getglobal(L, "math")
        if lua_type(L, -1) == LUA_TTABLE {
            lua_getfield(L, -1, "randomseed")
            if lua_type(L, -1) == LUA_TFUNCTION {
                lua_pushnumber(L, seed)
                _ = lua_pcall(L, 1, 0, 0)
            }
        }
        lua_settop(L, top)
    }

    /// Runs a chunk synchronously (init_by_lua, header/body filters, log): `lua_pcall` with a
    /// traceback. Returns nil on success or the error message with traceback.
    func callSync(ref: Int32, context: LuaRequestContext?, nargs: Int32 = 0, nresults: Int32 = 0) -> String? {
        LuaRuntime.seedRandomIfPending()
        let saved = LuaRuntime.currentUnretained
        LuaRuntime.current = context
        defer { LuaRuntime.currentUnretained = saved }
        let base = lua_gettop(L) - nargs
        lua_rawgeti(L, mg_lua_registryindex(), tracebackRef)
        lua_insert(L, base + 1)
        lua_rawgeti(L, mg_lua_registryindex(), ref)
        lua_insert(L, base + 2)
        mg_shm_clock_run_begin()
        let rc = lua_pcall(L, nargs, nresults, base + 1)
        mg_shm_clock_run_end()
        if rc != 0 {
            let msg = vm.luaString(at: -1, convert: true) ?? "unknown error"
            lua_settop(L, base)
            if msg == "\0exit" { return nil }  // ngx.exit in a phase that cannot yield
            return msg
        }
        lua_remove(L, base + 1)
        return nil
    }
}

/// ngx_lua's main-level settings.
public final class LuaMainConf {
    public var packagePath: String
    public var packageCPath: String
    public var codeCache = true
    public var initRef: (source: String, chunkName: String, isFile: Bool)?
    public var initWorker: (source: String, chunkName: String, isFile: Bool)?
    public var exitWorker: (source: String, chunkName: String, isFile: Bool)?
    public var sharedDicts: [(name: String, size: Int, location: String, persist: String?)] = []
    public var regexCacheMaxEntries = 1024
    public var regexMatchLimit = 0
    public var maxPendingTimers = 1024
    public var maxRunningTimers = 256
    public var socketConnectTimeout = 60_000
    public var socketSendTimeout = 60_000
    public var socketReadTimeout = 60_000
    public var socketBufferSize = 4096
    public var socketPoolSize = 30
    public var socketKeepaliveTimeout = 60_000
    public var socketLogErrors = true
    /// `lua_ssl_trusted_certificate` (absolute path), `lua_ssl_verify_depth`,
    /// `lua_ssl_protocols`, `lua_ssl_ciphers`.
    public var sslTrustedCertificate: String?
    public var sslVerifyDepth = 1
    public var sslProtocols: [String]?
    public var sslCiphers: String?

    /// A conf carrying this one's cosocket settings, for a location that overrides some.
    func socketCopy() -> LuaMainConf {
        let c = LuaMainConf(packagePath: packagePath, packageCPath: packageCPath)
        c.socketConnectTimeout = socketConnectTimeout
        c.socketSendTimeout = socketSendTimeout
        c.socketReadTimeout = socketReadTimeout
        c.socketBufferSize = socketBufferSize
        c.socketPoolSize = socketPoolSize
        c.socketKeepaliveTimeout = socketKeepaliveTimeout
        c.socketLogErrors = socketLogErrors
        c.sslTrustedCertificate = sslTrustedCertificate
        c.sslVerifyDepth = sslVerifyDepth
        c.sslProtocols = sslProtocols
        c.sslCiphers = sslCiphers
        return c
    }
    public var transformUnderscores = true
    public var useDefaultType = true
    public var needRequestBody = false
    public var checkClientAbort = false
    /// Lines of directives that mean something only in a phase that exists (for warnings).
    public var pathSet = false
    public var cpathSet = false

    public init(packagePath: String, packageCPath: String) {
        self.packagePath = packagePath
        self.packageCPath = packageCPath
    }
}
