#if canImport(Glibc)
import Glibc
#endif

/// Default `package.path` / `package.cpath`: our `lua/` first (so `resty.core` is ours),
/// then `$prefix/lua`, then Debian's Lua 5.1 trees (lua-cjson, lua-resty-* packages).
enum LuaPaths {
    /// The `lua/` directory of the installation: `MOONGATE_LUA_DIR`, else found next to the
    /// executable (`<root>/.build/<config>/moongate` → `<root>/lua`), else the source tree.
    static let runtimeDirectory: String = {
        if let env = getenv("MOONGATE_LUA_DIR") { return String(cString: env) }
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, 4095)
        if n > 0 {
            var dir = String(cString: buf)
            for _ in 0..<5 {
                guard let slash = dir.lastIndex(of: "/") else { break }
                dir = String(dir[..<slash])
                if access(dir + "/lua/resty/core/base.lua", R_OK) == 0 { return dir + "/lua" }
                if access(dir + "/share/moongate/lua/resty/core/base.lua", R_OK) == 0 {
                    return dir + "/share/moongate/lua"
                }
            }
        }
        var src = #filePath
        for _ in 0..<4 {
            if let slash = src.lastIndex(of: "/") { src = String(src[..<slash]) }
        }
        return src + "/lua"
    }()

    static func defaults(prefix: String) -> String {
        "\(runtimeDirectory)/?.lua;\(prefix)lua/?.lua;\(prefix)lua/?/init.lua;"
            + "/usr/local/share/lua/5.1/?.lua;/usr/local/share/lua/5.1/?/init.lua;"
            + "/usr/share/lua/5.1/?.lua;/usr/share/lua/5.1/?/init.lua"
    }

    static func cdefaults(prefix: String) -> String {
        "\(prefix)lua/?.so;/usr/local/lib/lua/5.1/?.so;/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;"
            + "/usr/lib/lua/5.1/?.so"
    }

    /// Expands `$prefix` and `;;` as ngx_lua does.
    static func packagePath(configured: String?, prefix: String) -> String {
        expand(configured, prefix: prefix, defaults: defaults(prefix: prefix))
    }

    static func packageCPath(configured: String?, prefix: String) -> String {
        expand(configured, prefix: prefix, defaults: cdefaults(prefix: prefix))
    }

    private static func expand(_ configured: String?, prefix: String, defaults: String) -> String {
        guard var p = configured else { return defaults }
        p = p.replacingAll("$prefix", with: prefix).replacingAll("${prefix}", with: prefix)
        if p.contains(";;") {
            p = p.replacingAll(";;", with: ";" + defaults + ";")
        }
        // Our runtime modules must always be found first.
        return "\(runtimeDirectory)/?.lua;" + p
    }
}

extension String {
    func replacingAll(_ a: String, with b: String) -> String {
        guard !a.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: a) {
            out += rest[..<r.lowerBound]
            out += b
            rest = rest[r.upperBound...]
        }
        out += rest
        return out
    }
}
