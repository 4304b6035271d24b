/// Connection, time and size limits, and the pool that runs blocking handlers.
/// Apart from LimitRequestBody (per directory), they apply to the whole server.
let limitDirectives: [DirectiveSpec] = [
    DirectiveSpec("Timeout", module: "core.c", contexts: .server, arity: 1...1,
                  syntax: "takes one argument, the seconds to wait for a client's next read or write") { d, t in
        t.server.timeoutSeconds = try d.integer(in: 1...86_400)
    },
    DirectiveSpec("KeepAlive", module: "core.c", contexts: .server, arity: 1...1, syntax: "must be On or Off") { d, t in
        t.server.keepAlive = try d.flag()
    },
    DirectiveSpec("KeepAliveTimeout", module: "core.c", contexts: .server, arity: 1...1,
                  syntax: "takes one argument, the seconds (or '<n>ms') an idle keep-alive connection is kept") { d, t in
        t.server.keepAliveTimeoutSeconds = try d.seconds()
    },
    DirectiveSpec("MaxKeepAliveRequests", module: "core.c", contexts: .server, arity: 1...1,
                  syntax: "takes one argument, the requests per connection (0 for unlimited)") { d, t in
        t.server.maxKeepAliveRequests = try d.integer(in: 0...Int(Int32.max))
    },
    DirectiveSpec("LimitRequestBody", module: "core.c", contexts: .anywhere.union(.htaccess), override: .fileInfo,
                  arity: 1...1, syntax: "takes one argument, the largest request body in bytes (0 for unlimited)") { d, t in
        guard let value = Int64(d.arguments[0]), value >= 0 else {
            throw d.invalid("LimitRequestBody requires a non-negative integer")
        }
        t.directory.limitRequestBody = value == 0 ? Int64.max : value
    },
    DirectiveSpec("LimitRequestFields", module: "core.c", contexts: .server, arity: 1...1,
                  syntax: "takes one argument, the largest number of request header fields") { d, t in
        let value = try d.integer(in: 0...32_767)
        t.server.limitRequestFields = value == 0 ? 32_767 : value
    },
    DirectiveSpec("LimitRequestFieldSize", module: "core.c", contexts: .server, arity: 1...1,
                  syntax: "takes one argument, the largest request header field in bytes") { d, t in
        t.server.limitRequestFieldSize = try d.integer(in: 1...65_536)
    },
    DirectiveSpec("LimitRequestLine", module: "core.c", contexts: .server, arity: 1...1,
                  syntax: "takes one argument, the longest request line in bytes") { d, t in
        t.server.limitRequestLine = try d.integer(in: 1...65_536)
    },
    DirectiveSpec("ThreadsPerChild", module: "core.c", contexts: .server, arity: 1...1,
                  syntax: "takes one argument, the number of threads that run extensions") { d, t in
        t.server.threadsPerChild = try d.integer(in: 1...4096)
    },
    DirectiveSpec("MaxConnections", module: "core.c", contexts: .server, arity: 1...1,
                  syntax: "takes one argument, the most client connections served at once") { d, t in
        t.server.maxConnections = try d.integer(in: 1...1_000_000)
    },
    DirectiveSpec("ListenBacklog", module: "mpm_common.c", contexts: .server, arity: 1...1,
                  syntax: "takes one argument, the maximum length of the queue of pending connections") { d, t in
        t.server.listenBacklog = try d.integer(in: 1...1_000_000)
    },
    DirectiveSpec("AcceptFilter", module: "core.c", contexts: .server, arity: 2...2,
                  syntax: "takes two arguments, a protocol name and an accept filter (or none)") { d, t in
        t.server.acceptFilters[d.arguments[0].lowercased()] = d.arguments[1]
    },
    DirectiveSpec("GracefulShutdownTimeout", module: "core.c", contexts: .server, arity: 1...1,
                  syntax: "takes one argument, the seconds requests in flight get to finish on shutdown") { d, t in
        t.server.gracefulShutdownTimeoutSeconds = try d.seconds()
    },
]
