import NIOCore

/// The part of a `proxy_buffering on` response the client could not take yet, in order:
/// the temp file's unread bytes, a write-size batch not yet in the file, then buffers held
/// in memory while the upstream is paused (temp file off or full). Created only once a
/// client falls behind, so responses the client takes at once never allocate one.
final class ProxyOutputQueue {
    var file: ProxyTempFile?
    /// Bytes gathered for the next `proxy_temp_file_write_size` write.
    var batch: ByteBuffer?
    var held: [ByteBuffer] = []
    /// A writability callback or a drain pass is pending.
    var waiting = false
    /// `send_timeout` while the client does not take writes.
    var sendTimer: Scheduled<Void>?
    /// The upstream response ended (`aborted`: broke off): finish once drained.
    var ended = false
    var aborted = false

    var isEmpty: Bool { (file?.pending ?? 0) == 0 && (batch?.readableBytes ?? 0) == 0 && held.isEmpty }

    /// Bytes that went or go to the temp file (nginx's `temp_file->offset` check).
    var spooled: Int64 { (file?.writeOffset ?? 0) + Int64(batch?.readableBytes ?? 0) }

    func cancelTimer() {
        sendTimer?.cancel()
        sendTimer = nil
    }
}
