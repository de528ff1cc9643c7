import CPCRE2

// The C functions behind lua/resty/core/regex.lua and lua/ngx/re.lua, the Moongate
// counterparts of lua-nginx-module's `ngx_http_lua_ffi_*_regex` exports. Status codes
// are nginx's; error text goes through a `char **err` out-parameter and points into a
// buffer owned by `RegexRuntime`, valid until the next failing call.

/// `NGX_OK`.
private let ok: Int32 = 0
/// `NGX_ERROR`.
private let failed: Int32 = -1

/// Compiles `pat[0..<len]`. `flags` holds lua-resty-core's `FLAG_*` bits, `opts` PCRE2
/// compile options. On success returns an owned handle and fills
/// `info[0...4]` with: capture count, name count, name entry size, UTF mode, JIT
/// compiled. On failure returns NULL and sets `*err`.
@_cdecl("mg_regex_compile")
public func mg_regex_compile(
    _ pat: UnsafePointer<UInt8>?, _ len: Int, _ flags: Int32, _ opts: Int32,
    _ info: UnsafeMutablePointer<Int32>?,
    _ err: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> UnsafeMutableRawPointer? {
    let runtime = RegexRuntime.current
    switch runtime.compile(pattern: UnsafeBufferPointer(start: pat, count: len), flags: flags,
                           options: opts) {
    case .failure(let e):
        err?.pointee = runtime.storeError(e.message)
        return nil
    case .success(let re):
        if let info = info {
            info[0] = re.captureCount
            info[1] = re.nameCount
            info[2] = re.nameEntrySize
            info[3] = re.isUTF ? 1 : 0
            info[4] = re.isJITCompiled ? 1 : 0
        }
        return Unmanaged.passRetained(re).toOpaque()
    }
}

/// The PCRE2 name table of a compiled regex (`name_count` entries of `name_entry_size`
/// bytes: a big-endian group number, then the NUL-terminated name), or NULL.
@_cdecl("mg_regex_name_table")
public func mg_regex_name_table(_ re: UnsafeMutableRawPointer?) -> UnsafePointer<UInt8>? {
    guard let re = re else { return nil }
    return Unmanaged<CompiledRegex>.fromOpaque(re).takeUnretainedValue().nameTable
}

/// Matches from byte `pos` of `s[0..<len]` (NULs allowed) and copies the offset pairs
/// into `caps` (`ncaps` ints). Returns PCRE2's result like `ngx_http_lua_ffi_exec_regex`:
/// pairs set (0 if `caps` was too small), `-1` for no match, another negative code
/// on error.
@_cdecl("mg_regex_exec")
public func mg_regex_exec(
    _ re: UnsafeMutableRawPointer?, _ flags: Int32, _ s: UnsafePointer<UInt8>?, _ len: Int,
    _ pos: Int32, _ caps: UnsafeMutablePointer<Int32>?, _ ncaps: Int32
) -> Int32 {
    guard let re = re else { return PCRE2_ERROR_NULL }
    let regex = Unmanaged<CompiledRegex>.fromOpaque(re).takeUnretainedValue()
    return RegexRuntime.current.exec(regex, flags: flags, subject: s, length: len, position: pos,
                                    captures: caps, slots: ncaps)
}

/// Releases a handle from `mg_regex_compile`; NULL is ignored.
@_cdecl("mg_regex_destroy")
public func mg_regex_destroy(_ re: UnsafeMutableRawPointer?) {
    guard let re = re else { return }
    Unmanaged<CompiledRegex>.fromOpaque(re).release()
}

/// `ngx.re.opt("jit_stack_size", size)`: replaces the PCRE2 JIT stack.
@_cdecl("mg_regex_set_jit_stack_size")
public func mg_regex_set_jit_stack_size(
    _ size: Int32, _ err: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    let runtime = RegexRuntime.current
    guard let message = runtime.setJITStackSize(size) else { return ok }
    err?.pointee = runtime.storeError(Array(message.utf8))
    return failed
}

/// `lua_regex_cache_max_entries`.
@_cdecl("mg_regex_max_cache_size")
public func mg_regex_max_cache_size() -> Int32 {
    RegexRuntime.current.cacheMaxEntries
}

/// Sets `lua_regex_cache_max_entries` (negative values count as 0).
@_cdecl("mg_regex_set_max_cache_size")
public func mg_regex_set_max_cache_size(_ n: Int32) {
    RegexRuntime.current.cacheMaxEntries = max(n, 0)
}

/// Sets `lua_regex_match_limit` (0 restores PCRE2's default).
@_cdecl("mg_regex_set_match_limit")
public func mg_regex_set_match_limit(_ n: Int32) {
    RegexRuntime.current.matchLimit = UInt32(max(n, 0))
}

/// The PCRE2 version, like `ngx_http_lua_ffi_pcre_version`.
@_cdecl("mg_regex_pcre_version")
public func mg_regex_pcre_version() -> UnsafePointer<CChar>? {
    UnsafePointer(pcreVersionString)
}

private let pcreVersionString: UnsafeMutablePointer<CChar> = {
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: 64)
    p.initialize(repeating: 0, count: 64)
    pcre2_config_8(UInt32(PCRE2_CONFIG_VERSION), p)
    return p
}()
