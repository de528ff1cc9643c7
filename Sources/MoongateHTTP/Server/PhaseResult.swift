import MoongateCore
import NIOCore

/// What a phase handler tells the engine (nginx's NGX_OK / NGX_DECLINED / NGX_AGAIN /
/// NGX_DONE / a status code).
public enum PhaseResult {
    /// Phase done, go to the next phase.
    case ok
    /// Not mine: try the next handler of this phase.
    case declined
    /// Waiting: the handler calls `r.resumePhases(with:)` later.
    case again
    /// The request was taken over (response sent or redirected); stop running phases.
    case done
    /// Finalize with this status (error page, or the response already sent if headers went out).
    case status(Int)
}

/// What a filter returns.
public enum FilterResult {
    case ok
    /// Abort the response with an error (connection is closed if headers were sent).
    case error
}

/// A piece of response body travelling through the body filters.
public struct BodyChunk {
    public var data: ByteBuffer?
    /// A file region to send by sendfile instead of `data` (static files). The static
    /// module makes one only for a plain connection whose response has no body filter,
    /// gzip or subrequest capture (where the bytes are needed it sends them read, see
    /// `FileStreamer`), so only the connection's `write(file:)` ever meets one.
    public var file: FileRegion?
    /// The last chunk of the response.
    public var last: Bool
    /// Ask the connection to flush after this chunk.
    public var flush: Bool

    public init(data: ByteBuffer?, last: Bool, flush: Bool = false) {
        self.data = data
        self.file = nil
        self.last = last
        self.flush = flush
    }
}

/// The response header being built (nginx's `r->headers_out`).
public struct ResponseHeaders {
    public var contentType: String?
    public var contentLength: Int64?
    public var lastModified: Int?
    public var location: String?
    /// Other headers in order (names as set).
    public var list: [(name: String, value: String)] = []

    public init() {}

    /// The list storage of the last request that ended, emptied, for the next response
    /// that adds headers (the worker's requests run on its one thread).
    nonisolated(unsafe) private static var spareList: [(name: String, value: String)] = []

    /// An empty list with room for at least 4 headers: the spare storage when there is
    /// one (no malloc and free per response).
    static func emptyList() -> [(name: String, value: String)] {
        var l: [(name: String, value: String)] = []
        swap(&l, &spareList)
        if l.capacity < 4 { l.reserveCapacity(4) }
        return l
    }

    /// Empties `list` (the request is over) and keeps its storage as the spare. The
    /// headers are popped one by one: specialized releases of the two strings, where the
    /// array's own destruction walks its tuples through generic value witnesses.
    static func recycle(_ list: inout [(name: String, value: String)]) {
        while list.popLast() != nil {}
        if list.capacity <= 16 && spareList.capacity == 0 { swap(&list, &spareList) }
    }

    /// Removes every header named `name` (case-insensitive) from the list.
    public mutating func remove(_ name: String) {
        guard !list.isEmpty else { return }
        list.removeAll { asciiEqualsIgnoringCase($0.name, name) }
    }

    /// The first value of `name` in the list, case-insensitively, or the special fields.
    public func get(_ name: String) -> String? {
        if asciiEqualsIgnoringCase(name, "content-type") { return contentType }
        if asciiEqualsIgnoringCase(name, "content-length") { return contentLength.map { String($0) } }
        if asciiEqualsIgnoringCase(name, "location") { return location }
        if asciiEqualsIgnoringCase(name, "last-modified") { return lastModified.map { CachedTime.httpTime(for: $0) } }
        return list.first { asciiEqualsIgnoringCase($0.name, name) }?.value
    }
}
