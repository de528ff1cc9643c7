import MoongateCore
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Where a subrequest's response goes instead of the client connection (nginx's
/// `NGX_HTTP_SUBREQUEST_IN_MEMORY` postponed output, as `ngx.location.capture` uses it).
public final class SubrequestSink {
    /// The response body as produced by the subrequest's body filters.
    public private(set) var body: [UInt8] = []
    /// Called once the subrequest finished (its status and headers are final).
    public var onDoneHook: (HTTPRequest) -> Void
    /// The body ended with its last buffer (ngx_lua's `seen_last_for_subreq`); a response
    /// cut short (upstream closed early, special status, HEAD) leaves it false.
    public private(set) var sawLast = false
    /// Set when the subrequest was finalized with a special status: as ngx_lua's
    /// post-subrequest handler, the capture ends there and the error page is not kept.
    var frozen = false

    /// - Parameter onDone: runs when the subrequest is finalized (may be replaced later).
    public init(onDone: @escaping (HTTPRequest) -> Void) {
        self.onDoneHook = onDone
    }

    func onDone(_ r: HTTPRequest) { onDoneHook(r) }

    func append(_ chunk: BodyChunk) {
        if frozen { return }
        if chunk.last { sawLast = true }
        if let d = chunk.data, d.readableBytes > 0 {
            body += d.readableBytesView
        }
    }
}

extension HTTPRequest {
    /// Creates a subrequest of this request for `uri` (normalized, without `?`), which
    /// inherits the request headers, the body (unless `body` is given) and the server.
    /// Its output goes to `sink`; it never writes to the connection nor runs the log phase.
    public func makeSubrequest(
        uri: String, args: String?, method: String, body newBody: [UInt8]?, sink: SubrequestSink
    ) -> HTTPRequest {
        var h = head
        h.method = method
        if let b = newBody {
            h.headers.removeAll { $0.name.lowercased() == "content-length" }
            h.headers.append(("Content-Length", String(b.count)))
            h.contentLength = Int64(b.count)
            h.chunked = false
        }
        let sr = HTTPRequest(connection: connection, head: h, server: server, path: uri, args: args)
        sr.parent = self
        sr.isInternal = true
        sr.headerOnly = method == "HEAD"
        sr.keepAlive = keepAlive
        sr.subrequestSink = sink
        if let b = newBody {
            sr.body.data = b
            sr.body.complete = true
            sr.body.replaced = true
        } else {
            sr.body.data = body.data
            sr.body.complete = body.complete
            sr.body.tooLarge = body.tooLarge
        }
        return sr
    }

    /// Runs the subrequest's phases (from server rewrite, as nginx does for internal requests).
    public func startSubrequest() {
        start()
    }
}

/// A request's user variable values, shared by reference between a request and the
/// subrequests made with `share_all_vars`.
public final class VariableStore {
    public var values: [String: String] = [:]
    /// Variables set to nil from Lua (`ngx.var.x = nil`): not found, rather than
    /// "uninitialized" (nginx's `not_found` flag). A value set later wins.
    public var unset: Set<String> = []
    public init() {}
}
