import Foundation

/// mod_isapi: ISAPICacheFile and the per-directory ISAPI* switches (spec §3: FileInfo
/// override class, mod_isapi's defaults).
let isapiDirectives: [DirectiveSpec] = [
    DirectiveSpec("ISAPICacheFile", module: "mod_isapi.c", contexts: .serverConfig, arity: 1...Int.max,
                  syntax: "takes one or more extension paths (relative to ServerRoot) to load at start") { d, t in
        for argument in d.arguments {
            let path = t.resolvePath(argument)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                // As in mod_isapi: a bad path is a warning and is skipped; the server still starts.
                t.server.warnings.append(ConfigError(
                    file: d.location.file, line: d.location.line, kind: .badArguments,
                    message: "ISAPICacheFile: unable to cache \(path): not a regular file, skipping"))
                continue
            }
            if !t.server.isapiCacheFiles.contains(path) { t.server.isapiCacheFiles.append(path) }
        }
    },
    DirectiveSpec("ISAPIScriptMap", module: "mod_isapi.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 2...3,
                  syntax: "takes a file extension, the engine's path (relative to ServerRoot) and optionally 'verify'") { d, t in
        let ext = Directive.normalizedExtension(d.arguments[0])
        guard !ext.isEmpty, !ext.contains("/"), !ext.contains(".") else {
            throw d.invalid("'\(d.arguments[0])' is not a file extension (such as .php)")
        }
        let fileCheck: ScriptFileCheck = try d.hasKeyword("verify", at: 2) ? .verifyExists : .none
        let engine = t.resolvePath(d.arguments[1])
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: engine, isDirectory: &isDirectory) || isDirectory.boolValue {
            // Not fatal (the engine may be installed later, and a .htaccess must not stop
            // the server): requests for .ext get a 500 naming the engine until it exists.
            t.server.warnings.append(ConfigError(
                file: d.location.file, line: d.location.line, kind: .badArguments,
                message: "ISAPIScriptMap: the engine \(engine) is not a regular file"))
        }
        var engines = t.directory.engines ?? EngineMappings()
        engines.scriptMaps[ext] = ScriptMap(engine: engine, fileCheck: fileCheck)
        t.directory.engines = engines
    },
    DirectiveSpec("ISAPIReadAheadBuffer", module: "mod_isapi.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 1...1, syntax: "takes one argument, the request-body bytes read ahead into lpbData") { d, t in
        t.directory.isapi.readAheadBuffer = try d.integer(in: 0...Int(Int32.max))
    },
    DirectiveSpec("ISAPILogNotSupported", module: "mod_isapi.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 1...1, syntax: "must be On or Off") { d, t in
        t.directory.isapi.logNotSupported = try d.flag()
    },
    DirectiveSpec("ISAPIAppendLogToErrors", module: "mod_isapi.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 1...1, syntax: "must be On or Off") { d, t in
        t.directory.isapi.appendLogToErrors = try d.flag()
    },
    DirectiveSpec("ISAPIAppendLogToQuery", module: "mod_isapi.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 1...1, syntax: "must be On or Off") { d, t in
        t.directory.isapi.appendLogToQuery = try d.flag()
    },
    DirectiveSpec("ISAPIFakeAsync", module: "mod_isapi.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 1...1, syntax: "must be On or Off") { d, t in
        t.directory.isapi.fakeAsync = try d.flag()
    },
]
