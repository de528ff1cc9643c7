import MoongateCore

/// nginx's phases, in order.
enum Phase: Int {
    case serverRewrite, serverRewriteHandlers, findConfig, rewrite, rewriteHandlers, postRewrite, access, accessHandlers
    case precontent, precontentHandlers, content, done
}

extension HTTPRequest {
    /// Starts phase processing (after the head was parsed).
    func start() {
        phase = .serverRewrite
        handlerIndex = 0
        runPhases()
    }

    /// Called by a handler that returned `.again` once it has finished.
    public func resumePhases(with result: PhaseResult) {
        guard !finalized else { return }
        if applyHandlerResult(result) { runPhases() }
    }

    /// Handles a handler's result; returns true if phase running should continue.
    private func applyHandlerResult(_ result: PhaseResult) -> Bool {
        switch result {
        case .ok:
            advancePhase()
            return true
        case .declined:
            handlerIndex += 1
            return true
        case .again:
            return false
        case .done:
            if !responseDone && !finalized && phase == .content {
                // Content handler finished without sending: nginx sends what was set.
                finalize(0)
            }
            return false
        case .status(let code):
            finalize(code)
            return false
        }
    }

    private func advancePhase() {
        phase = Phase(rawValue: phase.rawValue + 1) ?? .done
        handlerIndex = 0
    }

    /// The phase loop (nginx's `ngx_http_core_run_phases`).
    func runPhases() {
        while !finalized {
            switch phase {
            case .serverRewrite:
                // (An empty script, nearly always, is not called: the call retains it.)
                switch server.serverLevel.rewriteScript.instructions.isEmpty
                    ? (uriChanged ? .last : .next) : server.serverLevel.rewriteScript.run(self)
                {
                case .next, .breakAll: advancePhase()
                case .last:
                    phase = .findConfig
                    handlerIndex = 0
                case .finalize(let code):
                    finalize(code)
                    return
                case .done: return
                }
            case .serverRewriteHandlers:
                let hs = server.serverRewriteHandlers
                if handlerIndex >= hs.count {
                    advancePhase()
                    continue
                }
                if !applyHandlerResult(hs[handlerIndex].handle(self)) { return }
            case .findConfig:
                uriChanged = false
                validLocation = true
                guard let l = findLocation(uri: uri) else {
                    loc = server.serverLevel
                    advancePhase()
                    continue
                }
                if l.internalOnly && !isInternal {
                    loc = l
                    finalize(404)
                    return
                }
                loc = l
                if let le = l.limitExcept, !le.methods.contains(method) { loc = le.config }
                if let cl = head.contentLength, let max = loc.clientMaxBodySize, max > 0, cl > Int64(max) {
                    log(.error, "client intended to send too large body: \(cl) bytes")
                    keepAlive = false
                    finalize(413)
                    return
                }
                // nginx checks a chunked body's size only when a module reads it (a
                // discarded body is not checked); moongate reads eagerly, so it checks here
                // for locations whose module handlers may read the body.
                let mayRead = loc.contentHandler != nil || !loc.rewriteHandlers.isEmpty || !loc.accessHandlers.isEmpty
                if head.chunked, mayRead, let max = loc.clientMaxBodySize, max > 0,
                    let over = body.chunkedOverflow(max: max)
                {
                    log(.error, "client intended to send too large chunked body: \(over)")
                    keepAlive = false
                    finalize(413)
                    return
                }
                advancePhase()
            case .rewrite:
                if expectContinuePending && !body.complete {
                    expectContinuePending = false
                    connection.sendContinue()
                }
                switch loc.rewriteScript.instructions.isEmpty ? (uriChanged ? .last : .next) : loc.rewriteScript.run(self) {
                case .next, .breakAll:
                    advancePhase()
                case .last:
                    uriChanged = true
                    advancePhase()
                case .finalize(let code):
                    finalize(code)
                    return
                case .done: return
                }
            case .rewriteHandlers:
                let hs = loc.rewriteHandlers
                if handlerIndex >= hs.count {
                    advancePhase()
                    continue
                }
                if !applyHandlerResult(hs[handlerIndex].handle(self)) { return }
            case .postRewrite:
                if uriChanged {
                    uriChanges -= 1
                    if uriChanges == 0 {
                        log(.error, "rewrite or internal redirection cycle while processing \"\(uri)\"")
                        finalize(500)
                        return
                    }
                    phase = .findConfig
                    continue
                }
                advancePhase()
            case .access:
                if let rules = loc.accessRules, !rules.isEmpty {
                    if !AccessModule.check(self, rules) {
                        log(.error, "access forbidden by rule")
                        finalize(403)
                        return
                    }
                }
                advancePhase()
            case .accessHandlers:
                let hs = loc.accessHandlers
                if handlerIndex >= hs.count {
                    advancePhase()
                    continue
                }
                if !applyHandlerResult(hs[handlerIndex].handle(self)) { return }
            case .precontent:
                if let tf = loc.tryFiles {
                    switch TryFilesModule.run(self, tf) {
                    case .next: advancePhase()
                    case .finalize(let c):
                        finalize(c)
                        return
                    case .done: return
                    }
                    continue
                }
                advancePhase()
            case .precontentHandlers:
                let hs = loc.precontentHandlers
                if handlerIndex >= hs.count {
                    advancePhase()
                    continue
                }
                if !applyHandlerResult(hs[handlerIndex].handle(self)) { return }
            case .content:
                if let h = loc.contentHandler {
                    phase = .done
                    let result = h.handle(self)
                    phase = .content
                    switch result {
                    case .again: phase = .done
                    case .ok, .done, .declined:
                        phase = .done
                        if !finalized && !responseDone { finalize(0) }
                    case .status(let c):
                        phase = .done
                        finalize(c)
                    }
                    return
                }
                phase = .done
                let code = StaticModule.handle(self)
                if code == FileStreamer.streaming { return }
                if code != 0 || !finalized { finalize(code) }
                return
            case .done:
                return
            }
        }
    }

    /// nginx's location search; keeps a matching regex's captures.
    func findLocation(uri: String) -> LocationConfig? {
        // The server level is used in place (no retain and release around the search):
        // the request holds its server, whose `let` holds the level, for the whole call.
        let found = Unmanaged.passUnretained(server.serverLevel)._withUnsafeGuaranteedRef {
            LocationMatcher.find(in: $0, uri: uri)
        }
        if let re = found.regex { setCaptures(found.ranges, subject: uri, regex: re) }
        return found.location
    }

    /// nginx's `ngx_http_internal_redirect`: restart at find-config with a new URI.
    public func internalRedirect(uri newURI: String, args newArgs: String?) {
        uriChanges -= 1
        if uriChanges <= 0 {
            log(.error, "rewrite or internal redirection cycle while internally redirecting to \"\(newURI)\"")
            finalize(500)
            return
        }
        uri = newURI
        args = newArgs
        isInternal = true
        moduleContexts.removeAll()
        captures = []
        loc = server.serverLevel
        phase = .findConfig
        handlerIndex = 0
        runPhases()
    }

    /// Jumps to a named location (`@name`).
    public func namedRedirect(_ name: String) {
        guard let l = server.serverLevel.named[name] else {
            log(.error, "named location \"@\(name)\" not found")
            finalize(500)
            return
        }
        uriChanges -= 1
        if uriChanges <= 0 {
            log(.error, "rewrite or internal redirection cycle while redirect to named location \"@\(name)\"")
            finalize(500)
            return
        }
        isInternal = true
        moduleContexts.removeAll()
        loc = l
        phase = .rewrite
        handlerIndex = 0
        runPhases()
    }
}
