import Foundation

/// mod_mime: handlers and types by extension, SetHandler, ForceType, TypesConfig.
let mimeDirectives: [DirectiveSpec] = [
    DirectiveSpec("AddHandler", module: "mod_mime.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 2...Int.max, syntax: "takes a handler name followed by one or more file extensions") { d, t in
        warnIfDeprecatedHandler(d, t, d.arguments[0])
        for ext in d.arguments.dropFirst() {
            t.directory.handlersByExtension[Directive.normalizedExtension(ext)] = .some(d.arguments[0].lowercased())
        }
    },
    DirectiveSpec("RemoveHandler", module: "mod_mime.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 1...Int.max, syntax: "takes one or more file extensions") { d, t in
        for ext in d.arguments { t.directory.handlersByExtension[Directive.normalizedExtension(ext)] = .some(nil) }
    },
    DirectiveSpec("SetHandler", module: "core.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 1...1, syntax: "takes one argument, a handler name or None") { d, t in
        let name = d.arguments[0].lowercased()
        warnIfDeprecatedHandler(d, t, name)
        t.directory.setHandler = name == "none" ? SetHandlerValue.none : .handler(name)
    },
    DirectiveSpec("AddType", module: "mod_mime.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 2...Int.max, syntax: "takes a media type followed by one or more file extensions") { d, t in
        guard d.arguments[0].contains("/") else { throw d.invalid("'\(d.arguments[0])' is not a media type (type/subtype)") }
        for ext in d.arguments.dropFirst() {
            t.directory.typesByExtension[Directive.normalizedExtension(ext)] = .some(d.arguments[0])
        }
    },
    DirectiveSpec("RemoveType", module: "mod_mime.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 1...Int.max, syntax: "takes one or more file extensions") { d, t in
        for ext in d.arguments { t.directory.typesByExtension[Directive.normalizedExtension(ext)] = .some(nil) }
    },
    DirectiveSpec("ForceType", module: "core.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 1...1, syntax: "takes one argument, a media type or None") { d, t in
        t.directory.forceType = d.arguments[0].lowercased() == "none" ? "" : d.arguments[0]
    },
    DirectiveSpec("TypesConfig", module: "mod_mime.c", contexts: .server, arity: 1...1,
                  syntax: "takes one argument, the mime.types file") { d, t in
        let path = t.resolvePath(d.arguments[0])
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw d.invalid("could not open mime types config file \(path)")
        }
        t.server.mimeTypes = MIMETypesFile.parse(text)
    },
]

/// `isapi-isa` still works, as in Apache 2.x, but its name is from Apache 1.3.
private func warnIfDeprecatedHandler(_ d: Directive, _ t: DirectiveTarget, _ name: String) {
    guard name.lowercased() == "isapi-isa" else { return }
    t.server.warnings.append(ConfigError(
        file: d.location.file, line: d.location.line, kind: .badArguments,
        message: "\(d.name): the handler name isapi-isa is deprecated; use isapi-handler"))
}

/// The `mime.types` format: `media/type ext ext ...`, `#` comments.
enum MIMETypesFile {
    static func parse(_ text: String) -> [String: String] {
        var types: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = content.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count > 1 else { continue }
            for ext in words.dropFirst() { types[ext.lowercased()] = String(words[0]) }
        }
        return types
    }
}
