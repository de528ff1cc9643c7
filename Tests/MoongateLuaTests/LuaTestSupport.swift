import Foundation
import MoongateLua

/// Builds a VM for unit tests: `package.path` points at the repository's `lua/`, a global
/// `ngx` table exists, and `require "resty.core.base"` works.
func makeTestVM() throws -> LuaState {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    let vm = try LuaState(packagePath: "\(root)/lua/?.lua;;", packageCPath: ";;")
    try vm.run("ngx = ngx or {}")
    return vm
}
