import CLuaJIT
import MoongateCore
import MoongateHTTP
import NIOCore

// ngx.print / ngx.say / ngx.flush / ngx.eof / ngx.send_headers / ngx.exit / ngx.status
// (ngx_http_lua_output.c, ngx_http_lua_control.c, ngx_http_lua_status.c).

private let outputPhases: LuaPhase = [.rewrite, .access, .content, .serverRewrite, .precontent]

/// `int mg_http_output(void *r, const unsigned char *p, size_t len, const char **err)`.
@_cdecl("mg_http_output")
public func mg_http_output(
    _ rp: UnsafeMutableRawPointer?, _ p: UnsafePointer<UInt8>?, _ len: Int,
    _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    httpOutput(rp, len, err) { dst in
        if len > 0 { dst.copyMemory(from: p!, byteCount: len) }
    }
}

/// Sends `len` bytes that `fill` writes (ngx.print/ngx.say): the context checks, the
/// header on first output, HTTP/1.0 buffering.
@inline(__always)
func httpOutput(
    _ rp: UnsafeMutableRawPointer?, _ len: Int, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
    _ fill: (UnsafeMutableRawPointer) -> Void
) -> Int32 {
    guard let rp else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    // Neither retained: the running thread holds its context, which holds its request.
    return Unmanaged<LuaRequestContext>.fromOpaque(rp)._withUnsafeGuaranteedRef { ctx in
        guard let r = ctx.request else {
            FFIError.set(err, "no request found")
            return FFI.noRequest
        }
        return Unmanaged.passUnretained(r)._withUnsafeGuaranteedRef { r in httpOutput(ctx, r, len, err, fill) }
    }
}

@inline(__always) private func httpOutput(
    _ ctx: LuaRequestContext, _ r: HTTPRequest, _ len: Int, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
    _ fill: (UnsafeMutableRawPointer) -> Void
) -> Int32 {
    guard outputPhases.contains(ctx.phase) else {
        FFIError.set(err, "API disabled in the context of \(ctx.phase.contextName)")
        return FFI.badContext
    }
    if let e = rawSocketError(ctx, r) {
        FFIError.set(err, e)
        return FFI.error
    }
    if r.responseDone || r.finalized {
        FFIError.set(err, "seen eof")
        return FFI.error
    }
    if !r.headerSent && r.head.version <= 10 && r.subrequestSink == nil
        && (ctx.locConf(r)?.http10Buffering ?? true)
    {
        // ngx_lua's lua_http10_buffering: hold the body until the handler ends so the
        // HTTP/1.0 response gets a Content-Length.
        if ctx.http10Buffer == nil { ctx.http10Buffer = [] }
        if len > 0 {
            let old = ctx.http10Buffer!.count
            ctx.http10Buffer!.append(contentsOf: repeatElement(0, count: len))
            ctx.http10Buffer!.withUnsafeMutableBytes { fill($0.baseAddress! + old) }
        }
        return FFI.ok
    }
    if !r.headerSent {
        prepareHeaders(r, ctx)
        if !r.sendHeader() {
            FFIError.set(err, "header filter failed")
            return FFI.error
        }
    }
    if len == 0 { return FFI.ok }
    // Nearly always: the bytes are written into the connection's coalesced output.
    if r.outputDirect(count: len, fill) { return FFI.ok }
    // The bytes go out in the spare buffer of the last call when it is free again (the
    // chunked framing copied it into the connection's output): no buffer allocated per
    // call. A buffer something still holds is copied on write, never overwritten.
    var b: ByteBuffer
    if var spare = OutputSpare.buffer {
        OutputSpare.buffer = nil
        spare.clear()
        b = spare
    } else {
        b = r.connection.allocator.buffer(capacity: max(len, OutputSpare.minCapacity))
    }
    b.writeWithUnsafeMutableBytes(minimumWritableBytes: len) { dst in
        fill(dst.baseAddress!)
        return len
    }
    r.output(BodyChunk(data: b, last: false))
    if b.capacity <= OutputSpare.maxCapacity { OutputSpare.buffer = b }
    return FFI.ok
}

/// The buffer ngx.print/ngx.say write into, kept between calls.
enum OutputSpare {
    nonisolated(unsafe) static var buffer: ByteBuffer?
    static let minCapacity = 512
    /// Bigger buffers are not kept (clear() would allocate one as big if still shared).
    static let maxCapacity = 16384
}

/// Sends output held back for an HTTP/1.0 client, with its Content-Length.
func flushHTTP10(_ ctx: LuaRequestContext, _ r: HTTPRequest) {
    guard let buf = ctx.http10Buffer else { return }
    ctx.http10Buffer = nil
    guard !r.headerSent, !r.finalized else { return }
    prepareHeaders(r)
    if r.headersOut.contentLength == nil { r.headersOut.contentLength = Int64(buf.count) }
    guard r.sendHeader() else { return }
    if !buf.isEmpty {
        var b = r.connection.allocator.buffer(capacity: buf.count)
        b.writeBytes(buf)
        r.output(BodyChunk(data: b, last: false))
    }
}

/// Fills in what ngx_lua sets before the first output: the default Content-Type and,
/// for content without a length, nothing else (chunked is decided by the header writer).
func prepareHeaders(_ r: HTTPRequest, _ ctx: LuaRequestContext? = nil) {
    if r.status == 0 { r.status = 200 }
    if r.headersOut.contentType == nil,
        !((ctx ?? (LuaRequestContext.attached(r)))?.mimeSet ?? false)
    {
        let useDefault = (ctx.map { $0.locConf(r) } ?? LuaLocConf.of(r.loc))?.useDefaultType ?? true
        if useDefault { r.headersOut.contentType = r.loc.defaultType ?? "text/plain" }
    }
}

/// `int mg_http_send_headers(void *r, const char **err)`.
@_cdecl("mg_http_send_headers")
public func mg_http_send_headers(_ rp: UnsafeMutableRawPointer?, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    guard outputPhases.contains(ctx.phase) else {
        FFIError.set(err, "API disabled in the context of \(ctx.phase.contextName)")
        return FFI.badContext
    }
    flushHTTP10(ctx, r)
    if r.headerSent { return FFI.declined }
    prepareHeaders(r)
    r.sendHeader()
    r.output(BodyChunk(data: nil, last: false, flush: true))
    return FFI.ok
}

/// `int mg_http_headers_sent(void *r)`.
@_cdecl("mg_http_headers_sent")
public func mg_http_headers_sent(_ rp: UnsafeMutableRawPointer?) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request else { return FFI.noRequest }
    return r.headerSent ? 1 : 0
}

/// `int mg_http_flush(void *r, int wait, const char **err)`: 0 done, -2 the caller yields
/// until the data was written.
@_cdecl("mg_http_flush")
public func mg_http_flush(_ rp: UnsafeMutableRawPointer?, _ wait: Int32, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    guard outputPhases.contains(ctx.phase) else {
        FFIError.set(err, "API disabled in the context of \(ctx.phase.contextName)")
        return FFI.badContext
    }
    if let e = rawSocketError(ctx, r) {
        FFIError.set(err, e)
        return FFI.error
    }
    if r.responseDone {
        FFIError.set(err, "seen eof")
        return FFI.error
    }
    if let buf = ctx.http10Buffer, !r.headerSent {
        // ngx.flush ends HTTP/1.0 buffering: what was held goes out without a length.
        ctx.http10Buffer = nil
        prepareHeaders(r)
        r.sendHeader()
        if !buf.isEmpty {
            var b = r.connection.allocator.buffer(capacity: buf.count)
            b.writeBytes(buf)
            r.output(BodyChunk(data: b, last: false))
        }
    }
    if !r.headerSent {
        prepareHeaders(r)
        r.sendHeader()
    }
    if wait == 0 {
        r.output(BodyChunk(data: nil, last: false, flush: true))
        return FFI.ok
    }
    guard let thread = LuaThread.running else {
        r.output(BodyChunk(data: nil, last: false, flush: true))
        return FFI.ok
    }
    // As ngx_lua: the flush goes through the body filters (gzip ends its deflate block
    // with Z_SYNC_FLUSH), then the coroutine waits for the write.
    r.output(BodyChunk(data: nil, last: false, flush: true))
    r.connection.writeAndFlush(r.connection.allocator.buffer(capacity: 0)) { _ in
        thread.resume { co in
            lua_pushinteger(co, 1)
            return 1
        }
    }
    return FFI.again
}

/// `int mg_http_eof(void *r, const char **err)`.
@_cdecl("mg_http_eof")
public func mg_http_eof(_ rp: UnsafeMutableRawPointer?, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    // ngx_lua lets body filters and log handlers call ngx.eof; the response ends anyway.
    if ctx.phase == .bodyFilter || ctx.phase == .log { return FFI.ok }
    guard outputPhases.contains(ctx.phase) else {
        FFIError.set(err, "API disabled in the context of \(ctx.phase.contextName)")
        return FFI.badContext
    }
    if let e = rawSocketError(ctx, r) {
        FFIError.set(err, e)
        return FFI.error
    }
    flushHTTP10(ctx, r)
    if r.responseDone { return FFI.declined }
    if !r.headerSent {
        prepareHeaders(r)
        r.sendHeader()
    }
    r.output(BodyChunk(data: nil, last: true))
    return FFI.ok
}

/// `int mg_http_exit(void *r, int status, const char **err)`: records the exit; the
/// Lua side then yields (or unwinds in filters).
@_cdecl("mg_http_exit")
public func mg_http_exit(_ rp: UnsafeMutableRawPointer?, _ status: Int32, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    guard let ctx = LuaRuntime.current else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    let allowed: LuaPhase = [.rewrite, .access, .content, .serverRewrite, .precontent, .timer, .headerFilter, .balancer, .initWorker]
    guard allowed.contains(ctx.phase) else {
        FFIError.set(err, "API disabled in the context of \(ctx.phase.contextName)")
        return FFI.badContext
    }
    if let r = ctx.request {
        let s = Int(status)
        if ctx.phase == .headerFilter {
            // ngx_lua: in header_filter, ngx.exit only changes the status and stops the filter.
            if s >= 200 { r.status = s }
            return FFI.done
        }
        if (s >= 200 || s == -1 || s == -4) && (r.headerSent || ctx.http10Buffer != nil) && s >= 300 {
            // Headers went out: nginx just ends the response.
            ctx.exitCode = -4
            return FFI.ok
        }
        ctx.exitCode = s
    } else {
        ctx.exitCode = Int(status)
    }
    return FFI.ok
}

/// `int mg_http_get_status(void *r)`.
@_cdecl("mg_http_get_status")
public func mg_http_get_status(_ rp: UnsafeMutableRawPointer?) -> Int32 {
    guard let ctx = luaContextOrCurrent(rp), let r = ctx.request else { return FFI.noRequest }
    return Int32(r.status)
}

/// `int mg_http_set_status(void *r, int status, const char **err)`.
@_cdecl("mg_http_set_status")
public func mg_http_set_status(_ rp: UnsafeMutableRawPointer?, _ status: Int32, _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    if r.headerSent && ctx.phase != .headerFilter {
        r.log(.error, "attempt to set ngx.status after sending out response headers")
        return FFI.declined
    }
    if status < 100 || status > 999 {
        FFIError.set(err, "invalid HTTP status code \(status)")
        return FFI.error
    }
    r.status = Int(status)
    return FFI.ok
}

/// `int mg_http_exec(void *r, const char *uri, size_t ulen, const char *args, size_t alen, const char **err)`.
@_cdecl("mg_http_exec")
public func mg_http_exec(
    _ rp: UnsafeMutableRawPointer?, _ u: UnsafePointer<CChar>?, _ ul: Int, _ a: UnsafePointer<CChar>?, _ al: Int,
    _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    guard [.rewrite, .access, .content, .serverRewrite, .precontent].contains(ctx.phase) else {
        FFIError.set(err, "API disabled in the context of \(ctx.phase.contextName)")
        return FFI.badContext
    }
    if r.headerSent {
        FFIError.set(err, "attempt to call ngx.exec after sending out response headers")
        return FFI.error
    }
    var uri = string(u, ul)
    var args: String? = a == nil ? nil : string(a, al)
    if uri.isEmpty {
        FFIError.set(err, "The uri argument is empty")
        return FFI.error
    }
    if let q = uri.firstIndex(of: "?") {
        let inline = String(uri[uri.index(after: q)...])
        uri = String(uri[..<q])
        if let given = args, !given.isEmpty { args = inline + "&" + given } else { args = inline }
    }
    if uri.hasPrefix("@") {
        let name = String(uri.dropFirst())
        ctx.pendingJump = { r.namedRedirect(name) }
    } else {
        guard let norm = URINormalizer.normalize(Substring(uri)) else {
            FFIError.set(err, "unsafe uri")
            return FFI.error
        }
        let finalArgs = args
        ctx.pendingJump = { r.internalRedirect(uri: norm, args: finalArgs) }
    }
    ctx.exitCode = -4
    return FFI.ok
}

/// `int mg_http_redirect(void *r, const char *uri, size_t len, int status, const char **err)`.
@_cdecl("mg_http_redirect")
public func mg_http_redirect(
    _ rp: UnsafeMutableRawPointer?, _ u: UnsafePointer<CChar>?, _ ul: Int, _ status: Int32,
    _ err: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let ctx = luaContext(rp), let r = ctx.request else {
        FFIError.set(err, "no request found")
        return FFI.noRequest
    }
    guard [.rewrite, .access, .content, .serverRewrite, .precontent].contains(ctx.phase) else {
        FFIError.set(err, "API disabled in the context of \(ctx.phase.contextName)")
        return FFI.badContext
    }
    if r.headerSent {
        FFIError.set(err, "attempt to call ngx.redirect after sending out the headers")
        return FFI.error
    }
    let uri = string(u, ul)
    r.headersOut.location = uri
    r.locationVerbatim = true
    ctx.exitCode = Int(status)
    return FFI.ok
}

/// Output after `ngx.req.socket(true)` fails as in ngx_lua.
/// (The context's flag spares the lookup by name on every output call.)
func rawSocketError(_ ctx: LuaRequestContext, _ r: HTTPRequest) -> String? {
    ctx.rawSocketAcquired && r.moduleContexts["lua_raw_req_socket"] != nil ? "raw request socket acquired" : nil
}
