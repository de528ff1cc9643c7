import MoongateCore
#if canImport(Glibc)
import Glibc
#endif

/// The rewrite module's instructions of one level (`rewrite`, `return`, `set`, `if`,
/// `break`), run in order in the (server) rewrite phase.
public struct RewriteScript {
    public enum RewriteFlag { case none, last, breakFlag, redirect, permanent }

    // Indirect: each payload is one boxed reference, so taking an instruction out of the
    // list (for-in) retains one box instead of copying every payload field through the
    // enum's outlined copy and destroy (~135 instructions for a `return`).
    public indirect enum Instruction {
        case set(name: String, value: ComplexValue)
        case rewrite(regex: Regex, replacement: ComplexValue, flag: RewriteFlag)
        case returnStatus(code: Int, text: ComplexValue?)
        case breakScript
        case ifBlock(condition: IfCondition, location: LocationConfig)
        /// A module's instruction (set_by_lua): returns false to stop with 500.
        case custom((HTTPRequest) -> Bool)
    }

    public enum Outcome {
        case next
        case last
        case breakAll
        case finalize(Int)
        /// The request was taken over (redirected).
        case done
    }

    public var instructions: [Instruction] = []
    public init() {}

    /// Runs the instructions for `r`.
    func run(_ r: HTTPRequest) -> Outcome {
        if instructions.isEmpty { return r.uriChanged ? .last : .next }
        for ins in instructions {
            switch ins {
            case .set(let name, let value):
                r.userVars[name] = value.evaluate(r)
            case .custom(let f):
                if !f(r) { return .finalize(500) }
            case .breakScript:
                return .breakAll
            case .returnStatus(let code, let text):
                return doReturn(r, code, text)
            case .rewrite(let regex, let replacement, let flag):
                guard let m = regex.match(r.uri) else { continue }
                if r.loc.rewriteLog ?? false {
                    r.log(.notice, "\"\(regex.pattern)\" matches \"\(r.uri)\"")
                }
                r.setCaptures(m, subject: r.uri, regex: regex)
                let src = replacement.source
                let redirectByValue = src.hasPrefix("http://") || src.hasPrefix("https://") || src.hasPrefix("$scheme")
                var value = replacement.evaluateRewrite(r, redirect: redirectByValue || flag == .redirect || flag == .permanent)
                // As ngx_http_rewrite: a trailing "?" in the replacement drops the original
                // args; otherwise they are appended ("&" when the replacement has args).
                let addArgs = !replacement.source.hasSuffix("?")
                if !addArgs && value.hasSuffix("?") { value.removeLast() }
                let isURL = value.hasPrefix("http://") || value.hasPrefix("https://") || value.hasPrefix("$scheme")
                if isURL || flag == .redirect || flag == .permanent {
                    if addArgs, let a = r.args, !a.isEmpty {
                        value += (value.contains("?") ? "&" : "?") + a
                    }
                    r.headersOut = ResponseHeaders()
                    r.headersOut.location = value
                    return .finalize(flag == .permanent ? 301 : 302)
                }
                if let q = value.firstIndex(of: "?") {
                    let newArgs = String(value[value.index(after: q)...])
                    value = String(value[..<q])
                    if addArgs, let a = r.args, !a.isEmpty {
                        r.args = newArgs.isEmpty ? a : newArgs + "&" + a
                    } else {
                        r.args = newArgs.isEmpty ? nil : newArgs
                    }
                } else if !addArgs {
                    r.args = nil
                }
                if r.loc.rewriteLog ?? false {
                    r.log(.notice, "rewritten data: \"\(value)\", args: \"\(r.args ?? "")\"")
                }
                r.uri = value.isEmpty ? "/" : value
                // As ngx_http_script_regex_end_code: a rewritten request may enter internal locations.
                r.isInternal = true
                if value.isEmpty {
                    r.log(.error, "the rewritten URI has a zero length")
                    return .finalize(500)
                }
                switch flag {
                case .last: return .last
                case .breakFlag:
                    r.validLocation = false
                    return .breakAll
                default: r.uriChanged = true
                }
            case .ifBlock(let cond, let l):
                if cond.evaluate(r) {
                    r.loc = l
                    let out = l.rewriteScript.run(r)
                    switch out {
                    case .next: continue
                    default: return out
                    }
                }
            }
        }
        return r.uriChanged ? .last : .next
    }

    static let redirectCodes: Set<Int> = [301, 302, 303, 307, 308]

    private func doReturn(_ r: HTTPRequest, _ code: Int, _ text: ComplexValue?) -> Outcome {
        if code == 444 { return .finalize(444) }
        // As ngx_http_script_return_code: codes below 400 are sent as a response
        // (empty body) even without text; others become the special response.
        if text == nil && (code >= 400 || Self.redirectCodes.contains(code)) { return .finalize(code) }
        // ngx_http_send_response discards the body and sets the status before evaluating
        // the text ($status, $request_body and $request_length see that).
        r.bodyDiscarded = true
        r.status = code
        // (Evaluated in place: `text ?? ComplexValue(literal: "")` copied it.)
        let value = text?.evaluate(r) ?? ""
        if code == 301 || code == 302 || code == 303 || code == 307 || code == 308 {
            r.headersOut = ResponseHeaders()
            r.headersOut.location = value
            return .finalize(code)
        }
        r.status = code
        // ngx_http_send_response sends a 204 as a header-only response (a captured
        // subrequest then sees no last buffer: truncated).
        if code == 204 { r.headerOnly = true }
        r.headersOut.contentType = r.loc.defaultType ?? "text/plain"
        r.headersOut.contentLength = Int64(value.utf8.count)
        r.sendHeader()
        r.output(string: value, last: true)
        return .finalize(0)
    }
}

/// An `if (...)` condition.
public enum IfCondition {
    case variable(ComplexValue)
    case equals(ComplexValue, String, negate: Bool)
    case regex(ComplexValue, Regex, negate: Bool)
    case file(ComplexValue, test: Character, negate: Bool)

    func evaluate(_ r: HTTPRequest) -> Bool {
        switch self {
        case .variable(let v):
            let s = v.evaluate(r)
            return !(s.isEmpty || s == "0")
        case .equals(let v, let s, let neg):
            return (v.evaluate(r) == s) != neg
        case .regex(let v, let re, let neg):
            let subject = v.evaluate(r)
            if let m = re.match(subject) {
                if !neg { r.setCaptures(m, subject: subject, regex: re) }
                return !neg
            }
            return neg
        case .file(let v, let test, let neg):
            let path = v.evaluate(r)
            var st = stat()
            let ok = LogBytes.withCString(path, { stat($0, &st) }) == 0
            var result: Bool
            switch test {
            case "f": result = ok && (st.st_mode & S_IFMT) == S_IFREG
            case "d": result = ok && (st.st_mode & S_IFMT) == S_IFDIR
            case "e": result = ok
            case "x": result = ok && LogBytes.withCString(path, { access($0, X_OK) }) == 0
            default: result = false
            }
            return result != neg
        }
    }
}
