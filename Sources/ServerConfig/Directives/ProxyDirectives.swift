/// mod_proxy's directives isapid's reverse proxy (RewriteProxy, `[P]`) honours.
let proxyDirectives: [DirectiveSpec] = [
    // Apache: the seconds to wait for upstream data (connecting excluded); unset, Timeout.
    // isapid accepts '<n>ms' too, as it does for KeepAliveTimeout.
    DirectiveSpec("ProxyTimeout", module: "mod_proxy.c", contexts: .server, arity: 1...1,
                  syntax: "takes one argument, the seconds (or '<n>ms') to wait for data from an upstream") { d, t in
        let seconds = try d.seconds()
        guard seconds > 0 else { throw d.invalid("ProxyTimeout must be greater than 0") }
        t.server.proxyTimeoutSeconds = seconds
    },
]
