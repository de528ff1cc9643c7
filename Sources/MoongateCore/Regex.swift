import CPCRE2

/// A compiled PCRE2 pattern for the configuration's regexes (locations, `rewrite`,
/// `if`, `server_name ~`), JIT-compiled when PCRE2 allows.
public final class Regex: @unchecked Sendable {
    private let code: OpaquePointer
    private let matchData: OpaquePointer
    /// The pattern as written.
    public let pattern: String
    /// Number of capture groups.
    public let captureCount: Int
    /// Named groups and their numbers.
    public let names: [(name: String, index: Int)]

    /// Compiles `pattern`; `caseless` for `~*`. Throws a message like nginx's
    /// `pcre2_compile() failed: missing closing parenthesis in "(a"`.
    public init(_ pattern: String, caseless: Bool = false) throws {
        var errcode: Int32 = 0
        var erroff: Int = 0
        var options: UInt32 = 0
        if caseless { options |= UInt32(PCRE2_CASELESS) }
        let compiled = pattern.withCString { p in
            p.withMemoryRebound(to: UInt8.self, capacity: pattern.utf8.count) { u in
                pcre2_compile_8(u, pattern.utf8.count, options, &errcode, &erroff, nil)
            }
        }
        guard let compiled else {
            var buf = [UInt8](repeating: 0, count: 256)
            pcre2_get_error_message_8(errcode, &buf, 256)
            let msg = String(decoding: buf.prefix(while: { $0 != 0 }), as: UTF8.self)
            // As ngx_regex_compile: no `at "..."` when the error is at the end of the pattern.
            let rest = String(decoding: pattern.utf8.dropFirst(erroff), as: UTF8.self)
            if rest.isEmpty { throw CoreError("pcre2_compile() failed: \(msg) in \"\(pattern)\"") }
            throw CoreError("pcre2_compile() failed: \(msg) in \"\(pattern)\" at \"\(rest)\"")
        }
        self.code = compiled
        self.pattern = pattern
        pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE))
        var count: UInt32 = 0
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_CAPTURECOUNT), &count)
        self.captureCount = Int(count)
        self.matchData = pcre2_match_data_create_from_pattern_8(compiled, nil)
        var nameCount: UInt32 = 0
        var entrySize: UInt32 = 0
        var table: UnsafePointer<UInt8>? = nil
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_NAMECOUNT), &nameCount)
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_NAMEENTRYSIZE), &entrySize)
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_NAMETABLE), &table)
        var names: [(String, Int)] = []
        if let table, nameCount > 0 {
            for i in 0..<Int(nameCount) {
                let entry = table + i * Int(entrySize)
                let idx = Int(entry[0]) << 8 | Int(entry[1])
                let name = String(cString: UnsafeRawPointer(entry + 2).assumingMemoryBound(to: CChar.self))
                names.append((name, idx))
            }
        }
        self.names = names
    }

    deinit {
        pcre2_match_data_free_8(matchData)
        pcre2_code_free_8(code)
    }

    /// Matches `subject`; returns the byte ranges of group 0...captureCount (nil for
    /// unset groups), or nil if it does not match.
    public func match(_ subject: String) -> [Range<Int>?]? {
        var s = subject
        return s.withUTF8 { buf in match(bytes: UnsafeRawBufferPointer(buf)) }
    }

    /// Matches raw bytes.
    public func match(bytes: UnsafeRawBufferPointer) -> [Range<Int>?]? {
        let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(bitPattern: 1)!
        let rc = pcre2_match_8(code, base, bytes.count, 0, 0, matchData, nil)
        if rc < 0 { return nil }
        let ov = pcre2_get_ovector_pointer_8(matchData)!
        var out: [Range<Int>?] = []
        out.reserveCapacity(captureCount + 1)
        let unset = -1  // PCRE2_UNSET is ~(PCRE2_SIZE)0, a macro Swift cannot import
        for i in 0...captureCount {
            let a = Int(bitPattern: UInt(ov[2 * i]))
            let b = Int(bitPattern: UInt(ov[2 * i + 1]))
            if i >= Int(rc) || a == unset { out.append(nil) } else { out.append(a..<b) }
        }
        return out
    }

    /// Whether the pattern matches anywhere in `subject`.
    public func matches(_ subject: String) -> Bool { match(subject) != nil }
}
