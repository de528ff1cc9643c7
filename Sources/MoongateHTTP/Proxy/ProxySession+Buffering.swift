import MoongateCore
import NIOCore

/// `proxy_buffering on` with a client slower than the upstream (nginx's event pipe):
/// memory stays bounded by the buffers; the rest goes to a temp file under
/// `proxy_temp_path` up to `proxy_max_temp_file_size`, beyond that (or with 0) reading the
/// upstream stops until the client drains. proxy_read_timeout does not run while the
/// upstream is paused; send_timeout applies to the client meanwhile.
extension ProxySession {
    /// How much is read back from the temp file per client write.
    static let drainChunk = 32 * 1024
    /// Client writes per event-loop turn before yielding to other connections.
    static let drainBudget = 16

    /// One full buffer of the response: straight to the client when it keeps up.
    func deliverBuffered(_ b: ByteBuffer) {
        if r.subrequestSink != nil || (outQueue?.isEmpty ?? true) && r.connection.isWritable {
            r.output(BodyChunk(data: b, last: false, flush: true))
            return
        }
        let q: ProxyOutputQueue
        if let existing = outQueue {
            q = existing
        } else {
            q = ProxyOutputQueue()
            outQueue = q
        }
        let maxTemp = Int64(conf.effMaxTempFileSize)
        if q.held.isEmpty && maxTemp > 0 && q.spooled < maxTemp {
            spool(b, q)
        } else {
            q.held.append(b)
            pauseForClient()
        }
        waitForClient(q)
    }

    /// Adds to the temp file, written `proxy_temp_file_write_size` at a time.
    private func spool(_ b: ByteBuffer, _ q: ProxyOutputQueue) {
        var b = b
        if q.batch == nil {
            q.batch = b
        } else {
            q.batch!.writeBuffer(&b)
        }
        guard q.batch!.readableBytes >= conf.effTempFileWriteSize else { return }
        if q.file == nil {
            switch ProxyTempFile.create(in: conf.tempPath ?? Variables.prefix + "proxy_temp") {
            case .success(let f): q.file = f
            case .failure(let e):
                tempFileFailed(e)
                return
            }
        }
        let chunk = q.batch!
        q.batch = nil
        if let e = q.file!.append(chunk) { tempFileFailed(e) }
    }

    /// nginx logs the failure at crit and ends the request (the response is cut short).
    private func tempFileFailed(_ e: ProxyTempFileError) {
        logUpstream(.crit, "\(e.text) while reading upstream")
        dropAll()
    }

    /// Stops reading the upstream: nginx neither reads nor times out an upstream whose
    /// buffers wait for the client.
    private func pauseForClient() {
        guard stage == .body, let c = conn, !upstreamPaused else { return }
        c.setReading(false)
        upstreamPaused = true
        timer?.disarm()
    }

    /// Drains when the client can take writes again; send_timeout meanwhile.
    func waitForClient(_ q: ProxyOutputQueue) {
        guard !q.waiting, !r.finalized else { return }
        q.waiting = true
        if r.connection.isWritable {
            loop.execute { [weak self] in self?.drainQueue() }
            return
        }
        r.connection.onWritable = { [weak self] in self?.drainQueue() }
        q.sendTimer = loop.scheduleTask(in: .milliseconds(Int64(r.loc.sendTimeout ?? 60_000))) { [weak self] in
            self?.clientTimedOut()
        }
    }

    /// Writes queued data while the client takes it; resumes the upstream once caught up.
    func drainQueue() {
        guard let q = outQueue, !r.finalized else { return }
        q.waiting = false
        q.cancelTimer()
        var budget = ProxySession.drainBudget
        while budget > 0 && r.connection.isWritable {
            budget -= 1
            if let f = q.file, f.pending > 0 {
                switch f.read(max: ProxySession.drainChunk, allocator: r.connection.allocator) {
                case .success(let b): r.output(BodyChunk(data: b, last: false, flush: true))
                case .failure(let e):
                    logUpstream(.crit, "\(e.text) while sending to client")
                    dropAll()
                    return
                }
            } else if let b = q.batch {
                q.batch = nil
                r.output(BodyChunk(data: b, last: false, flush: true))
            } else if !q.held.isEmpty {
                r.output(BodyChunk(data: q.held.removeFirst(), last: false, flush: true))
            } else {
                break
            }
            if r.finalized { return }
        }
        guard q.isEmpty else {
            waitForClient(q)
            return
        }
        if q.ended {
            outQueue = nil
            finishClient(aborted: q.aborted)
            return
        }
        if upstreamPaused, stage == .body, let c = conn {
            upstreamPaused = false
            c.setReading(true)
            armReadTimer()
        }
    }

    /// The upstream response is complete (or broke off) while the client still has queued
    /// data: the end goes out once drained.
    func endQueued(aborted: Bool) -> Bool {
        guard let q = outQueue, !r.finalized, !q.isEmpty || q.waiting else { return false }
        if let rest = pendingOut {
            pendingOut = nil
            q.held.append(rest)
        }
        q.ended = true
        q.aborted = aborted
        // finishBody cleared a pending writability callback with the upstream's pause.
        q.waiting = false
        q.cancelTimer()
        waitForClient(q)
        return true
    }

    private func finishClient(aborted: Bool) {
        if aborted {
            r.keepAlive = false
            r.connection.flush()
            r.finalizeAborted()
        } else {
            r.output(BodyChunk(data: nil, last: true))
            r.finalize(0)
        }
    }

    /// nginx's `client timed out` on the downstream write of the pipe.
    private func clientTimedOut() {
        guard let q = outQueue, q.waiting, !r.finalized else { return }
        r.log(.info, "client timed out (110: Connection timed out) while sending to client")
        dropAll()
    }

    /// Ends the request now: upstream closed, queue released, client connection closed.
    private func dropAll() {
        stage = .done
        timer?.disarm()
        if tryCount > 0 { lastTry.responseTime = elapsed() }
        conn?.delegate = nil
        conn?.close()
        conn = nil
        upstreamPaused = false
        releasePeer(failed: false)
        outQueue?.cancelTimer()
        outQueue = nil
        pendingOut = nil
        guard !r.finalized else { return }
        r.connection.onWritable = nil
        r.keepAlive = false
        r.finalizeAborted()
    }
}
