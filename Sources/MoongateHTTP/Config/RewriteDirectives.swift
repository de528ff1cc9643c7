import MoongateConfig
import MoongateCore

extension CoreDirectives {
    static func registerRewrite() {
        let R = DirectiveRegistry.register
        let ctxs: DirectiveContext = [.server, .location, .serverIf, .locationIf]
        R(DirectiveSpec("set", ctxs, .exactly(2))) { d, c in
            var name = d.args[0].value
            guard name.hasPrefix("$") else {
                throw ConfigError("invalid variable name \"\(name)\"", at: d.location)
            }
            name = String(name.dropFirst()).lowercased()
            if Variables.isBuiltinUnchangeable(name) {
                throw ConfigError("the duplicate \"\(name)\" variable", at: d.location)
            }
            Variables.declare(name)
            let v = try ComplexValue(d.args[1].value, at: d.location)
            c.loc!.rewriteScript.instructions.append(.set(name: name, value: v))
        }
        R(DirectiveSpec("break", ctxs, .exactly(0))) { _, c in
            c.loc!.rewriteScript.instructions.append(.breakScript)
        }
        R(DirectiveSpec("return", ctxs, .oneOf([1, 2]))) { d, c in
            let a0 = d.args[0].value
            if let code = Int(a0) {
                guard code >= 0 && code <= 999 else {
                    throw ConfigError("invalid return code \"\(a0)\"", at: d.location)
                }
                let text = d.args.count == 2 ? try ComplexValue(d.args[1].value, at: d.location) : nil
                c.loc!.rewriteScript.instructions.append(.returnStatus(code: code, text: text))
            } else {
                guard d.args.count == 1 else {
                    throw ConfigError("invalid return code \"\(a0)\"", at: d.location)
                }
                guard a0.hasPrefix("http://") || a0.hasPrefix("https://") || a0.hasPrefix("$scheme") else {
                    throw ConfigError("invalid return code \"\(a0)\"", at: d.location)
                }
                c.loc!.rewriteScript.instructions.append(
                    .returnStatus(code: 302, text: try ComplexValue(a0, at: d.location)))
            }
        }
        R(DirectiveSpec("rewrite", ctxs, .oneOf([2, 3]))) { d, c in
            let re = try ConfigRegex.compile(d.args[0].value, at: d.location)
            var flag = RewriteScript.RewriteFlag.none
            if d.args.count == 3 {
                switch d.args[2].value {
                case "last": flag = .last
                case "break": flag = .breakFlag
                case "redirect": flag = .redirect
                case "permanent": flag = .permanent
                default:
                    throw ConfigError("invalid parameter \"\(d.args[2].value)\"", at: d.location)
                }
            }
            let repl = try ComplexValue(d.args[1].value, at: d.location)
            c.loc!.rewriteScript.instructions.append(.rewrite(regex: re, replacement: repl, flag: flag))
        }
        R(DirectiveSpec("if", [.server, .location], .atLeast(1), block: .block)) { d, c in
            let cond = try parseCondition(d)
            let parent = c.loc!
            let l = LocationConfig(match: .ifBlock, location: d.location, parent: parent)
            l.server = c.server
            let saved = c.context
            c.context = saved == .server ? .serverIf : .locationIf
            c.loc = l
            try ConfigLoader.walk(d.block ?? [], c)
            c.loc = parent
            c.context = saved
            parent.rewriteScript.instructions.append(.ifBlock(condition: cond, location: l))
        }
    }

    static func parseCondition(_ d: ConfDirective) throws -> IfCondition {
        var args = d.args.map(\.value)
        // nginx strips the parentheses from the first and last words.
        guard let first = args.first, first.hasPrefix("("), let last = args.last, last.hasSuffix(")") else {
            throw ConfigError("invalid condition \"\(d.values.joined(separator: " "))\"", at: d.location)
        }
        // A quoted last operand leaves ")" as a word of its own, as in nginx's lexer.
        if first == "(" { args.removeFirst() } else { args[0] = String(first.dropFirst()) }
        if !args.isEmpty {
            if args[args.count - 1] == ")" {
                args.removeLast()
            } else {
                args[args.count - 1] = String(args[args.count - 1].dropLast())
            }
        }
        guard !args.isEmpty else {
            throw ConfigError("invalid condition \"\(d.values.joined(separator: " "))\"", at: d.location)
        }
        if args.count == 1 {
            return .variable(try ComplexValue(args[0], at: d.location))
        }
        if args.count == 2 {
            let op = args[0]
            var neg = false
            var t = op
            if t.hasPrefix("!") {
                neg = true
                t.removeFirst()
            }
            guard t.count == 2, t.hasPrefix("-"), let ch = t.last, "fdex".contains(ch) else {
                throw ConfigError("invalid condition \"\(op)\"", at: d.location)
            }
            return .file(try ComplexValue(args[1], at: d.location), test: ch, negate: neg)
        }
        guard args.count == 3 else {
            throw ConfigError("invalid condition \"\(d.values.joined(separator: " "))\"", at: d.location)
        }
        let lhs = try ComplexValue(args[0], at: d.location)
        switch args[1] {
        case "=": return .equals(lhs, args[2], negate: false)
        case "!=": return .equals(lhs, args[2], negate: true)
        case "~", "~*", "!~", "!~*":
            let op = args[1]
            let re = try ConfigRegex.compile(args[2], caseless: op.hasSuffix("*"), at: d.location)
            return .regex(lhs, re, negate: op.hasPrefix("!"))
        default:
            throw ConfigError("unexpected \"\(args[1])\" in condition", at: d.location)
        }
    }
}
