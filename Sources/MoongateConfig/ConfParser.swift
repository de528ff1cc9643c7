#if canImport(Glibc)
import Glibc
#endif

/// Parses nginx.conf text into a tree of `ConfDirective`s, following nginx's lexer
/// (`ngx_conf_read_token`): quoting, escapes, `#` comments, `${var}` braces, `include`
/// with globs relative to the configuration directory, and Lua bodies for
/// `*_by_lua_block` directives that may contain braces in strings and comments.
public struct ConfParser {
    /// Directory that relative `include` paths resolve against (nginx's conf prefix).
    public var confDirectory: String
    /// Every file read, in order (`nginx -T` dumps them all).
    public private(set) var filesRead: [String] = []
    private var includeDepth = 0

    public init(confDirectory: String) {
        self.confDirectory = confDirectory
    }

    /// Reads and parses a file.
    public mutating func parseFile(_ path: String) throws -> [ConfDirective] {
        guard let text = readWholeFile(path) else {
            throw ConfigError("open() \"\(path)\" failed (\(errnoDescription()))", at: nil)
        }
        filesRead.append(path)
        return try parse(text: text, file: path)
    }

    /// Parses text; `file` names it in errors and source locations.
    public mutating func parse(text: String, file: String) throws -> [ConfDirective] {
        var lexer = ConfLexer(bytes: Array(text.utf8), file: file)
        let list = try parseBlock(&lexer, topLevel: true)
        return list
    }

    private mutating func parseBlock(_ lexer: inout ConfLexer, topLevel: Bool) throws -> [ConfDirective] {
        var out: [ConfDirective] = []
        while true {
            var words: [ConfArgument] = []
            var startLine = lexer.line
            var terminator: ConfLexer.Terminator = .eof
            while true {
                let tok = try lexer.next()
                switch tok {
                case .word(let w, let line):
                    if words.isEmpty { startLine = line }
                    words.append(w)
                    continue
                case .semicolon: terminator = .semicolon
                case .blockStart: terminator = .blockStart
                case .blockEnd: terminator = .blockEnd
                case .eof: terminator = .eof
                }
                break
            }
            // nginx names the line where a directive ends (its ";" or "{"), except for Lua
            // blocks, whose chunk names use the line they start on.
            let isLuaBlock = terminator == .blockStart && (words.first?.value.hasSuffix("_by_lua_block") ?? false)
            let loc = SourceLocation(file: lexer.file, line: words.isEmpty || !isLuaBlock ? lexer.line : startLine)
            switch terminator {
            case .eof:
                if !words.isEmpty {
                    throw ConfigError("unexpected end of file, expecting \";\" or \"}\"", at: loc)
                }
                if !topLevel {
                    throw ConfigError("unexpected end of file, expecting \"}\"", at: loc)
                }
                return out
            case .blockEnd:
                if !words.isEmpty {
                    throw ConfigError("unexpected \"}\"", at: SourceLocation(file: lexer.file, line: lexer.line))
                }
                if topLevel {
                    throw ConfigError("unexpected \"}\"", at: SourceLocation(file: lexer.file, line: lexer.line))
                }
                return out
            case .semicolon:
                if words.isEmpty {
                    throw ConfigError("unexpected \";\"", at: SourceLocation(file: lexer.file, line: lexer.line))
                }
                let name = words[0].value
                let args = Array(words.dropFirst())
                if name == "include" {
                    out.append(contentsOf: try expandInclude(args: args, at: loc))
                } else {
                    out.append(ConfDirective(name: name, args: args, location: loc))
                }
            case .blockStart:
                if words.isEmpty {
                    throw ConfigError("unexpected \"{\"", at: SourceLocation(file: lexer.file, line: lexer.line))
                }
                let name = words[0].value
                let args = Array(words.dropFirst())
                if name.hasSuffix("_by_lua_block") {
                    let src = try lexer.readLuaBlock()
                    out.append(ConfDirective(name: name, args: args, luaSource: src, location: loc))
                } else {
                    let children = try parseBlock(&lexer, topLevel: false)
                    out.append(ConfDirective(name: name, args: args, block: children, location: loc))
                }
            }
        }
    }

    private mutating func expandInclude(args: [ConfArgument], at loc: SourceLocation) throws -> [ConfDirective] {
        guard args.count == 1 else {
            throw ConfigError("invalid number of arguments in \"include\" directive", at: loc)
        }
        includeDepth += 1
        defer { includeDepth -= 1 }
        if includeDepth > 32 {
            throw ConfigError("include nesting too deep", at: loc)
        }
        var pattern = args[0].value
        if !pattern.hasPrefix("/") { pattern = confDirectory + "/" + pattern }
        let hasGlob = pattern.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" })
        var files: [String] = []
        if hasGlob {
            var g = glob_t()
            defer { globfree(&g) }
            let r = glob(pattern, 0, nil, &g)
            if r == 0 {
                for i in 0..<Int(g.gl_pathc) {
                    if let p = g.gl_pathv[i] { files.append(String(cString: p)) }
                }
            } else if r != GLOB_NOMATCH {
                throw ConfigError("glob() \"\(pattern)\" failed", at: loc)
            }
            files.sort()
        } else {
            files = [pattern]
        }
        var out: [ConfDirective] = []
        for f in files {
            guard let text = readWholeFile(f) else {
                throw ConfigError("open() \"\(f)\" failed (\(errnoDescription()))", at: loc)
            }
            filesRead.append(f)
            var lexer = ConfLexer(bytes: Array(text.utf8), file: f)
            out.append(contentsOf: try parseBlock(&lexer, topLevel: true))
        }
        return out
    }
}

func errnoDescription() -> String {
    let e = errno
    return "\(e): \(String(cString: strerror(e)))"
}

/// Reads a file into a String; `nil` (with errno set) if it cannot be read.
public func readWholeFile(_ path: String) -> String? {
    guard let bytes = readWholeFileBytes(path) else { return nil }
    return String(decoding: bytes, as: UTF8.self)
}

/// Reads a file into bytes; `nil` (with errno set) if it cannot be read.
public func readWholeFileBytes(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { return nil }
    defer { close(fd) }
    var st = stat()
    if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
        errno = EISDIR
        return nil
    }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
        if n < 0 {
            if errno == EINTR { continue }
            return nil
        }
        if n == 0 { break }
        out.append(contentsOf: buf[0..<n])
    }
    return out
}
