import MoongateCore
import MoongateShm

// ngx.shared.DICT: zones are created by the master (before fork) from the
// `lua_shared_dict` directives; lua/resty/core/shdict.lua calls the C engine
// (mg_shm_*) directly and only asks Swift for a zone's address.

/// `void *mg_shdict_zone(const char *name, size_t len)`: the zone's base address or NULL.
@_cdecl("mg_shdict_zone")
public func mg_shdict_zone(_ name: UnsafePointer<CChar>?, _ len: Int) -> UnsafeMutableRawPointer? {
    let n = string(name, len)
    guard let z = ShdictRegistry.shared.find(n) else { return nil }
    return UnsafeMutableRawPointer(z.raw)
}

/// Creates (or keeps, across reloads) the zones a configuration declares, and loads
/// persisted contents (`persist=PATH`).
enum SharedDicts {
    static func setUp(_ m: LuaMainConf, prefix: String) throws {
        var names = Set<String>()
        for d in m.sharedDicts {
            names.insert(d.name)
            let existed = ShdictRegistry.shared.find(d.name)?.size == d.size
            let zone: ShdictZone
            do {
                zone = try ShdictRegistry.shared.create(name: d.name, size: d.size)
            } catch {
                throw CoreError("failed to create lua_shared_dict \"\(d.name)\": \(error.message) in \(d.location)")
            }
            if !existed, let path = d.persist {
                let abs = path.hasPrefix("/") ? path : prefix + path
                do {
                    let n = try zone.load(from: abs)
                    ErrorLog.shared.log(.notice, "lua_shared_dict \"\(d.name)\": loaded \(n) entries from \"\(abs)\"")
                } catch {
                    if error != .io {
                        ErrorLog.shared.log(.warn, "lua_shared_dict \"\(d.name)\": cannot load \"\(abs)\": \(error.message)")
                    }
                }
            }
        }
        ShdictRegistry.shared.retain(only: names)
    }

    /// Writes zones with `persist=PATH` to disk (graceful stop).
    static func persist(_ m: LuaMainConf, prefix: String) {
        for d in m.sharedDicts {
            guard let path = d.persist, let zone = ShdictRegistry.shared.find(d.name) else { continue }
            let abs = path.hasPrefix("/") ? path : prefix + path
            do {
                try zone.save(to: abs)
            } catch {
                ErrorLog.shared.log(.error, "lua_shared_dict \"\(d.name)\": cannot save \"\(abs)\": \(error.message)")
            }
        }
    }
}
