import MoongateConfig
import MoongateCore
#if canImport(Glibc)
import Glibc
#endif

/// `proxy_buffers`, `proxy_busy_buffers_size`, `proxy_max_temp_file_size`,
/// `proxy_temp_file_write_size` and `proxy_temp_path`, with the checks nginx's
/// `ngx_http_proxy_merge_loc_conf` makes on the merged values.
enum ProxyBufferDirectives {
    static func register() {
        let R = DirectiveRegistry.register
        let all: DirectiveContext = [.http, .server, .location]
        R(DirectiveSpec("proxy_buffers", all, .exactly(2))) { d, c in
            let pc = ProxyDirectives.conf(c)
            if pc.buffers != nil { throw ConfigError("\"proxy_buffers\" directive is duplicate", at: d.location) }
            guard let n = Int(d.args[0].value), n > 0, let size = ConfUnits.size(d.args[1].value), size > 0 else {
                throw ConfigError("\"proxy_buffers\" directive invalid value", at: d.location)
            }
            pc.buffers = (n, size)
            pc.buffersLocation = d.location
        }
        let sizes: [(String, ReferenceWritableKeyPath<ProxyLocConf, Int?>)] = [
            ("proxy_busy_buffers_size", \.busyBuffersSize), ("proxy_max_temp_file_size", \.maxTempFileSize),
            ("proxy_temp_file_write_size", \.tempFileWriteSize),
        ]
        for (name, kp) in sizes {
            R(DirectiveSpec(name, all, .exactly(1))) { d, c in
                let pc = ProxyDirectives.conf(c)
                if pc[keyPath: kp] != nil { throw ConfigError("\"\(name)\" directive is duplicate", at: d.location) }
                guard let v = ConfUnits.size(d.args[0].value) else {
                    throw ConfigError("\"\(name)\" directive invalid value", at: d.location)
                }
                pc[keyPath: kp] = v
                pc.buffersLocation = d.location
            }
        }
        R(DirectiveSpec("proxy_temp_path", all, .oneOf([1, 2, 3, 4]))) { d, c in
            let pc = ProxyDirectives.conf(c)
            if pc.tempPath != nil { throw ConfigError("\"proxy_temp_path\" directive is duplicate", at: d.location) }
            // Levels are checked as nginx does; temp files are unlinked at once, so
            // moongate keeps them in the top directory.
            for a in d.args.dropFirst() {
                guard let l = Int(a.value), l >= 1 else {
                    throw ConfigError("\"proxy_temp_path\" directive invalid value", at: d.location)
                }
            }
            var path = c.cycle.absolute(d.args[0].value)
            while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
            pc.tempPath = path
        }
    }

    /// The merged values of every level must hold together; then the temp directories are
    /// created, as nginx's `ngx_create_paths` does at start.
    static func check(_ cycle: CycleConfig) throws {
        guard let http = cycle.http else { return }
        let defaultPath = cycle.absolute("proxy_temp")
        // nginx adds a path per distinct merged value; the default when a level leaves it.
        var paths: [String] = []
        func add(_ p: String) { if !paths.contains(p) { paths.append(p) } }
        func visit(_ l: LocationConfig) throws {
            if let pc = ProxyLocConf.of(l) {
                try validate(pc)
                if pc.tempPath == nil { pc.tempPath = defaultPath }
                add(pc.tempPath!)
            }
            for c in l.children { try visit(c) }
            for c in l.named.values { try visit(c) }
            for ins in l.rewriteScript.instructions {
                if case .ifBlock(_, let ifLoc) = ins { try visit(ifLoc) }
            }
        }
        try visit(http.httpLevel)
        for s in http.servers { try visit(s.serverLevel) }
        if ProxyLocConf.of(http.httpLevel)?.tempPath == nil || paths.isEmpty { add(defaultPath) }
        for p in paths {
            if mkdir(p, 0o700) != 0 && errno != EEXIST {
                let e = errno
                throw ConfigError("mkdir() \"\(p)\" failed (\(e): \(String(cString: strerror(e))))", at: nil)
            }
        }
    }

    static func validate(_ pc: ProxyLocConf) throws {
        let at = pc.buffersLocation
        let bufs = pc.effBuffers
        if bufs.num < 2 { throw ConfigError("there must be at least 2 \"proxy_buffers\"", at: at) }
        let size = pc.effUnitSize
        let busy = pc.effBusyBuffersSize
        if busy < size {
            throw ConfigError(
                "\"proxy_busy_buffers_size\" must be equal to or greater than the maximum of the value of "
                    + "\"proxy_buffer_size\" and one of the \"proxy_buffers\"", at: at)
        }
        if busy > (bufs.num - 1) * bufs.size {
            throw ConfigError(
                "\"proxy_busy_buffers_size\" must be less than the size of all \"proxy_buffers\" minus one buffer",
                at: at)
        }
        if pc.effTempFileWriteSize < size {
            throw ConfigError(
                "\"proxy_temp_file_write_size\" must be equal to or greater than the maximum of the value of "
                    + "\"proxy_buffer_size\" and one of the \"proxy_buffers\"", at: at)
        }
        let maxTemp = pc.effMaxTempFileSize
        if maxTemp != 0 && maxTemp < size {
            throw ConfigError(
                "\"proxy_max_temp_file_size\" must be equal to zero to disable temporary files usage or must be "
                    + "equal to or greater than the maximum of the value of \"proxy_buffer_size\" and one of the "
                    + "\"proxy_buffers\"", at: at)
        }
    }
}
