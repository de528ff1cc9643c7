import CPCRE2
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The per-worker PCRE2 state behind `ngx.re.*`: the compile and match contexts, the
/// match data reused by every match, the JIT stack, the DFA workspace, and the
/// settings of the `lua_regex_cache_max_entries` and `lua_regex_match_limit` directives.
///
/// Mirrors the PCRE2 code paths of lua-nginx-module's `ngx_http_lua_regex.c`. There is
/// one instance per thread (`current`): in a worker that is the event loop thread running
/// the Lua VM, so configure it from that thread; in tests, each VM's own thread.
public final class RegexRuntime {
    /// The calling thread's instance, used by the `mg_regex_*` C exports.
    public static var current: RegexRuntime {
        if let p = pthread_getspecific(threadKey) {
            return Unmanaged<RegexRuntime>.fromOpaque(p).takeUnretainedValue()
        }
        let runtime = RegexRuntime()
        pthread_setspecific(threadKey, Unmanaged.passRetained(runtime).toOpaque())
        return runtime
    }

    private static let threadKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { p in
            guard let p = p else { return }
            Unmanaged<RegexRuntime>.fromOpaque(p).release()
        }
        return key
    }()

    /// Flag bits passed by the Lua side (lua-resty-core's `FLAG_*` values).
    enum Flag {
        static let compileOnce: Int32 = 0x01
        static let dfa: Int32 = 0x02
        static let jit: Int32 = 0x04
        static let dupNames: Int32 = 0x08
        static let noUTFCheck: Int32 = 0x10
    }

    /// Size of the buffer compile errors are written to; ngx_lua's `MAX_ERR_MSG_LEN`.
    static let errorBufferSize = 128
    /// ngx_lua's `NGX_LUA_RE_DFA_MODE_WORKSPACE_COUNT`.
    static let dfaWorkspaceCount = 100
    /// ngx_lua's `NGX_LUA_RE_MIN_JIT_STACK_SIZE`.
    static let minJITStackSize: Int32 = 32 * 1024

    /// The compile options the Lua side may ask for (the `i m s x a u D J` letters).
    static let allowedOptions: UInt32 = PCRE2_CASELESS | PCRE2_MULTILINE | PCRE2_DOTALL
        | PCRE2_EXTENDED | PCRE2_ANCHORED | PCRE2_UTF | PCRE2_DUPNAMES | PCRE2_ALT_BSUX
        | PCRE2_MATCH_UNSET_BACKREF

    /// `lua_regex_cache_max_entries`: how many compiled regexes the `o` option keeps
    /// (read by the Lua side when it first caches a regex). Default 1024.
    public var cacheMaxEntries: Int32 = 1024

    /// `lua_regex_match_limit`: PCRE2's match limit for non-DFA matches; 0 restores
    /// PCRE2's built-in default. Exceeding it makes a match fail with -47
    /// (`PCRE2_ERROR_MATCHLIMIT`), reported to Lua as `pcre_exec() failed: -47`.
    public var matchLimit: UInt32 = 0 {
        didSet {
            pcre2_set_match_limit_8(matchContext, matchLimit > 0 ? matchLimit : defaultMatchLimit)
        }
    }

    let compileContext: OpaquePointer
    let matchContext: OpaquePointer
    private let defaultMatchLimit: UInt32
    private var matchData: OpaquePointer?
    private var matchDataPairs = 0
    private var jitStack: OpaquePointer?
    private let dfaWorkspace: UnsafeMutablePointer<Int32>
    /// Where compile errors are written; `*err` points here after a failure.
    let errorBuffer: UnsafeMutablePointer<CChar>

    init() {
        compileContext = pcre2_compile_context_create_8(nil)
        matchContext = pcre2_match_context_create_8(nil)
        var limit: UInt32 = 0
        pcre2_config_8(UInt32(PCRE2_CONFIG_MATCHLIMIT), &limit)
        defaultMatchLimit = limit
        dfaWorkspace = .allocate(capacity: Self.dfaWorkspaceCount)
        errorBuffer = .allocate(capacity: Self.errorBufferSize)
        errorBuffer.initialize(repeating: 0, count: Self.errorBufferSize)
    }

    deinit {
        if let md = matchData { pcre2_match_data_free_8(md) }
        if let stack = jitStack { pcre2_jit_stack_free_8(stack) }
        pcre2_match_context_free_8(matchContext)
        pcre2_compile_context_free_8(compileContext)
        dfaWorkspace.deallocate()
        errorBuffer.deallocate()
    }

    /// Whether the PCRE2 library was built with JIT support.
    public var jitAvailable: Bool {
        var jit: UInt32 = 0
        pcre2_config_8(UInt32(PCRE2_CONFIG_JIT), &jit)
        return jit != 0
    }

    /// The PCRE2 version string, e.g. `10.42 2022-12-11`.
    public var pcreVersion: String {
        var buf = [UInt8](repeating: 0, count: 64)
        pcre2_config_8(UInt32(PCRE2_CONFIG_VERSION), &buf)
        return String(decoding: buf.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Compiles `pattern`; on failure returns the error text ngx_lua would produce
    /// (`pcre2_compile() failed: ... in "..."`), already cut to 127 bytes.
    func compile(pattern: UnsafeBufferPointer<UInt8>, flags: Int32, options: Int32)
        -> Result<CompiledRegex, RegexCompileError>
    {
        let opts = UInt32(bitPattern: options)
        if opts & ~Self.allowedOptions != 0 {
            return .failure(RegexCompileError(message: Array("bad pcre2 options".utf8)))
        }
        var errcode: Int32 = 0
        var erroff = 0
        let base = pattern.baseAddress ?? emptyBytes
        guard let code = pcre2_compile_8(base, pattern.count, opts, &errcode, &erroff,
                                         compileContext)
        else {
            return .failure(compileError(errcode, offset: erroff, pattern: pattern))
        }
        var jitted = false
        if flags & Flag.jit != 0 {
            // As in ngx_lua, a JIT failure only costs speed: matching falls back to
            // the interpreter.
            jitted = pcre2_jit_compile_8(code, PCRE2_JIT_COMPLETE) == 0
        }
        var captures: UInt32 = 0
        var names: UInt32 = 0
        var entrySize: UInt32 = 0
        var allOptions: UInt32 = 0
        var table: UnsafePointer<UInt8>? = nil
        pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_CAPTURECOUNT), &captures)
        pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMECOUNT), &names)
        pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_ALLOPTIONS), &allOptions)
        if names > 0 {
            pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMEENTRYSIZE), &entrySize)
            pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMETABLE), &table)
        }
        let ncaptures = flags & Flag.dfa != 0 ? 0 : Int32(captures)
        ensureMatchData(pairs: Int(ncaptures) + 1)
        return .success(CompiledRegex(
            code: code, captureCount: ncaptures, nameCount: Int32(names),
            nameEntrySize: Int32(entrySize), nameTable: table,
            isUTF: allOptions & PCRE2_UTF != 0, isJITCompiled: jitted))
    }

    /// Runs `re` on `subject` from byte `position`, copying the offsets of the whole
    /// match and of every group into `captures` (`-1` for unset groups, at most
    /// `slots` ints). Returns PCRE2's result: the number of pairs set, or an error
    /// code (`-1` for no match).
    func exec(_ re: CompiledRegex, flags: Int32, subject: UnsafePointer<UInt8>?, length: Int,
              position: Int32, captures: UnsafeMutablePointer<Int32>?, slots: Int32) -> Int32
    {
        let dfa = flags & Flag.dfa != 0
        let pairs = Int(re.captureCount) + 1
        ensureMatchData(pairs: pairs)
        guard let md = matchData else { return PCRE2_ERROR_NOMEMORY }
        let opts: UInt32 = flags & Flag.noUTFCheck != 0 ? PCRE2_NO_UTF_CHECK : 0
        let start = position < 0 ? Int.max : Int(position)
        let subj = subject ?? emptyBytes
        var rc: Int32
        if dfa {
            rc = pcre2_dfa_match_8(re.code, subj, length, start, opts, md, matchContext,
                                   dfaWorkspace, Self.dfaWorkspaceCount)
            // Only the longest match is reported, as ngx_lua's DFA mode has no groups. 0
            // means the ovector could not hold every match found: the longest is still in
            // the first pair.
            if rc > 1 || rc == 0 { rc = 1 }
        } else {
            rc = pcre2_match_8(re.code, subj, length, start, opts, md, matchContext)
        }
        if rc < 0 { return rc }
        guard let caps = captures else { return rc }
        let ov = pcre2_get_ovector_pointer_8(md)!
        let available = Int(pcre2_get_ovector_count_8(md))
        let n = min(dfa ? 1 : pairs, available, Int(slots) / 2)
        for i in 0..<(n * 2) {
            // PCRE2_UNSET is ~(PCRE2_SIZE)0, a macro Swift does not import.
            let v = ov[i]
            caps[i] = UInt(bitPattern: v) == UInt.max ? -1 : Int32(truncatingIfNeeded: v)
        }
        return rc
    }

    /// Replaces the JIT stack (ngx_lua's `ngx_http_lua_ffi_set_jit_stack_size`);
    /// sizes below 32 KiB are raised to 32 KiB. Returns an error message on failure.
    func setJITStackSize(_ size: Int32) -> String? {
        guard jitAvailable else { return "no pcre jit support found" }
        let size = max(size, Self.minJITStackSize)
        if let old = jitStack {
            pcre2_jit_stack_assign_8(matchContext, nil, nil)
            pcre2_jit_stack_free_8(old)
            jitStack = nil
        }
        guard let stack = pcre2_jit_stack_create_8(Int(Self.minJITStackSize), Int(size), nil)
        else { return "pcre jit stack allocation failed" }
        jitStack = stack
        pcre2_jit_stack_assign_8(matchContext, nil, UnsafeMutableRawPointer(stack))
        return nil
    }

    /// Copies `message` into `errorBuffer`, cut to fit with its terminating NUL.
    func storeError(_ message: [UInt8]) -> UnsafeMutablePointer<CChar> {
        let n = min(message.count, Self.errorBufferSize - 1)
        message.withUnsafeBufferPointer { src in
            UnsafeMutableRawPointer(errorBuffer).copyMemory(from: src.baseAddress!, byteCount: n)
        }
        errorBuffer[n] = 0
        return errorBuffer
    }

    private func ensureMatchData(pairs: Int) {
        if matchData != nil && matchDataPairs >= pairs { return }
        if let old = matchData { pcre2_match_data_free_8(old) }
        matchData = pcre2_match_data_create_8(UInt32(pairs), nil)
        matchDataPairs = matchData == nil ? 0 : pairs
    }

    private func compileError(_ code: Int32, offset: Int, pattern: UnsafeBufferPointer<UInt8>)
        -> RegexCompileError
    {
        var text = [UInt8](repeating: 0, count: 128)
        let n = pcre2_get_error_message_8(code, &text, text.count)
        let reason = Array(text.prefix(n > 0 ? Int(n) : 0))
        var msg = Array("pcre2_compile() failed: ".utf8) + reason + Array(" in \"".utf8)
        msg += pattern
        msg.append(UInt8(ascii: "\""))
        if offset != pattern.count {
            // ngx_lua prints the rest of the pattern with "%s", so it stops at a NUL.
            msg += Array(" at \"".utf8)
            msg += pattern[min(offset, pattern.count)...].prefix { $0 != 0 }
            msg.append(UInt8(ascii: "\""))
        }
        return RegexCompileError(message: msg)
    }
}

/// A compile failure: the bytes of the message ngx_lua would return.
struct RegexCompileError: Error {
    let message: [UInt8]
}

private let emptyStorage: UnsafeMutablePointer<UInt8> = {
    let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    p.initialize(to: 0)
    return p
}()

/// A valid pointer for empty subjects and patterns, which PCRE2 10.42 rejects as NULL.
private var emptyBytes: UnsafePointer<UInt8> { UnsafePointer(emptyStorage) }
