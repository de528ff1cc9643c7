import CPCRE2

/// One compiled PCRE2 pattern handed to Lua as an opaque `mg_regex_t *`.
///
/// Lua owns the handle: it is retained once when created (`mg_regex_compile`) and
/// released by `mg_regex_destroy`, which Lua calls from `ffi.gc` or right after a
/// one-shot use, exactly where lua-resty-core calls `ngx_http_lua_ffi_destroy_regex`.
final class CompiledRegex {
    /// The `pcre2_code` the pattern compiled to.
    let code: OpaquePointer
    /// Number of capturing groups (forced to 0 in DFA mode, as ngx_lua does).
    let captureCount: Int32
    /// Number of entries in the PCRE2 name table.
    let nameCount: Int32
    /// Size in bytes of one name table entry (2-byte group number + NUL-terminated name).
    let nameEntrySize: Int32
    /// The PCRE2 name table; lives as long as `code`.
    let nameTable: UnsafePointer<UInt8>?
    /// Whether the pattern runs in UTF mode (the `u`/`U` options or an inline `(*UTF)`).
    let isUTF: Bool
    /// Whether `pcre2_jit_compile` succeeded for the pattern.
    let isJITCompiled: Bool

    init(code: OpaquePointer, captureCount: Int32, nameCount: Int32, nameEntrySize: Int32,
         nameTable: UnsafePointer<UInt8>?, isUTF: Bool, isJITCompiled: Bool) {
        self.code = code
        self.captureCount = captureCount
        self.nameCount = nameCount
        self.nameEntrySize = nameEntrySize
        self.nameTable = nameTable
        self.isUTF = isUTF
        self.isJITCompiled = isJITCompiled
    }

    deinit {
        pcre2_code_free_8(code)
    }
}
