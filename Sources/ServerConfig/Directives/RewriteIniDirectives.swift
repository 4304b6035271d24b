/// Where the ISAPI_Rewrite 2 rule files (httpd.ini) are: the global file, applied
/// first, and whether each site's `DocumentRoot/httpd.ini` is read after it.
let rewriteIniDirectives: [DirectiveSpec] = [
    DirectiveSpec("RewriteIniFile", module: "isapi_rewrite.c", contexts: .server, arity: 1...1,
                  syntax: "takes one argument, the global httpd.ini (relative to ServerRoot), or None") { d, t in
        t.server.rewriteIniFile = d.arguments[0].lowercased() == "none" ? nil : t.resolvePath(d.arguments[0])
    },
    DirectiveSpec("RewriteIniSiteFiles", module: "isapi_rewrite.c", contexts: .server, arity: 1...1,
                  syntax: "must be On or Off") { d, t in
        t.server.rewriteIniSiteFiles = try d.flag()
    },
]
