import NIOCore

extension HTTPRequest {
    /// Body data of `n` bytes that `fill` writes (ngx.print/ngx.say), appended straight to
    /// the connection's coalesced output (chunk-framed for a chunked response) when the
    /// response has no body filter, gzip or subrequest and its head already went out: what
    /// `output(_:)` would send, without a buffer of its own. false (nothing written,
    /// `fill` not called) when the general path is needed.
    public func outputDirect(count n: Int, _ fill: (UnsafeMutableRawPointer) -> Void) -> Bool {
        guard n > 0, !responseDone, headerSent, !headerOnly, subrequestSink == nil, gzip == nil
        else { return false }
        // (An empty list, the usual one, is not bound: binding it retains and releases it.)
        if !(loc.filters?.isEmpty ?? true), let filters = loc.filters {
            for f in filters where f.hasBodyFilter { return false }
        }
        let wire = connection.appendBody(count: n, chunked: chunked, fill)
        if wire < 0 { return false }
        bodyBytesSent += Int64(n)
        bytesSent += Int64(wire)
        return true
    }
}
