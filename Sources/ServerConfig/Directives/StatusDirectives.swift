/// mod_status: `ExtendedStatus` (server config only, as Apache's). The handlers
/// themselves (`SetHandler server-status`, `SetHandler metrics`) need no directive.
let statusDirectives: [DirectiveSpec] = [
    DirectiveSpec(
        "ExtendedStatus", module: "mod_status.c", contexts: .server, arity: 1...1,
        syntax: "must be On or Off"
    ) { d, t in
        t.server.extendedStatus = try d.flag()
    }
]
