/// The open-file and stat cache of each serving process (isapid's own, after nginx's
/// `open_file_cache … valid=`).
let fileCacheDirectives: [DirectiveSpec] = [
    DirectiveSpec("FileCacheValid", module: "core.c", contexts: .server, arity: 1...1,
                  syntax: "takes one argument, the seconds (0 to 86400) after which a cached file is looked at again; 0 turns the cache off") { d, t in
        t.server.fileCacheValid = try d.integer(in: 0...86400)
    },
]
