import CLuaJIT
import MoongateConfig
import MoongateCore
import MoongateHTTP
#if canImport(Glibc)
import Glibc
#endif

/// Lua code named by a directive: an inline block/string compiled at configuration time,
/// or a file (its path may contain variables) loaded on first use or per request when
/// `lua_code_cache off`.
public final class LuaCode {
    enum Source {
        case inline(String)
        case file(ComplexValue)
    }

    let source: Source
    /// ngx_lua's chunk name: `content_by_lua(nginx.conf:40)`.
    let chunkName: String
    let location: SourceLocation
    var ref: Int32 = LUA_NOREF
    /// Inline code (compiled once into `ref` for the worker's VM).
    let isInline: Bool

    /// Set when the last failed `function` call found no file (ngx_lua answers 404).
    nonisolated(unsafe) static var lastFileMissing = false

    /// Every code object of the configuration being loaded, compiled in postconfiguration.
    nonisolated(unsafe) static var pending: [LuaCode] = []

    init(source: Source, chunkName: String, location: SourceLocation) {
        self.source = source
        if case .inline = source { isInline = true } else { isInline = false }
        self.chunkName = chunkName
        self.location = location
        LuaCode.pending.append(self)
    }

    /// Builds the code for a `*_by_lua_block`, `*_by_lua` or `*_by_lua_file` directive.
    static func from(_ d: ConfDirective, base: String, argIndex: Int = 0) throws -> LuaCode {
        let file = NSStringLike(s: d.location.file).lastPathComponent
        let chunk = "\(base)(\(file):\(d.location.line))"
        if let src = d.luaSource {
            return LuaCode(source: .inline(src), chunkName: chunk, location: d.location)
        }
        if d.name.hasSuffix("_file") {
            let v = try ComplexValue(d.args[argIndex].value, at: d.location)
            return LuaCode(source: .file(v), chunkName: chunk, location: d.location)
        }
        return LuaCode(source: .inline(d.args[argIndex].value), chunkName: chunk, location: d.location)
    }

    /// Compiles inline code (file code with a literal path is compiled too, as ngx_lua does
    /// when the code cache is on).
    func compile(_ rt: LuaRuntime) throws {
        switch source {
        case .inline(let src):
            do {
                ref = try rt.compile(source: src, chunkName: chunkName, fixedArgs: true)
            } catch {
                throw ConfigError("failed to load inlined Lua code: \(error)", at: location)
            }
        case .file:
            break
        }
    }

    /// The function's registry ref for a request; nil (with the error logged) if the file
    /// cannot be loaded. `temporary` is true when the caller must release the ref.
    func function(_ rt: LuaRuntime, _ r: HTTPRequest?, log: (String) -> Void) -> (ref: Int32, temporary: Bool)? {
        if isInline && !rt.isPerRequest { return (ref, false) }
        switch source {
        case .inline(let src):
            if !rt.isPerRequest { return (ref, false) }
            // A request's own VM (lua_code_cache off) compiles the inline code again.
            do {
                return (try rt.compile(source: src, chunkName: chunkName, fixedArgs: true), false)
            } catch {
                log("failed to load inlined Lua code: \(error)")
                return nil
            }
        case .file(let v):
            var path = r.map { v.evaluate($0) } ?? v.source
            if !path.hasPrefix("/") { path = Variables.prefix + path }
            do {
                // Cached per VM: with lua_code_cache off each request has a fresh VM.
                let ref = try rt.compileFile(path: path, useCache: true)
                return (ref, false)
            } catch {
                LuaCode.lastFileMissing = access(path, F_OK) != 0
                log("failed to load external Lua file \"\(path)\": \(error)")
                return nil
            }
        }
    }
}

/// `lastPathComponent` without Foundation.
struct NSStringLike {
    let s: String
    var lastPathComponent: String {
        if let i = s.lastIndex(of: "/") { return String(s[s.index(after: i)...]) }
        return s
    }
}
