/// mod_actions: `Action` (the `Script` directive, by method, is not implemented).
let actionDirectives: [DirectiveSpec] = [
    DirectiveSpec("Action", module: "mod_actions.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 2...3,
                  syntax: "takes a handler name or media type, a URL path of the script, and optionally 'virtual'") { d, t in
        guard d.arguments[1].hasPrefix("/") else {
            throw d.invalid("'\(d.arguments[1])' is not a local URL path (it must start with /)")
        }
        let fileCheck: ScriptFileCheck = try d.hasKeyword("virtual", at: 2) ? .none : .verifyExists
        // mod_actions compares the handler name or media type as written; handler names
        // are lower-cased everywhere in isapid, and so are media types here.
        var engines = t.directory.engines ?? EngineMappings()
        engines.actions[d.arguments[0].lowercased()] = ActionTarget(url: d.arguments[1], fileCheck: fileCheck)
        t.directory.engines = engines
    }
]
