/// mod_dir: DirectoryIndex.
let dirDirectives: [DirectiveSpec] = [
    DirectiveSpec("DirectoryIndex", module: "mod_dir.c", contexts: .anywhere.union(.htaccess), override: .indexes,
                  arity: 1...Int.max, syntax: "takes one or more file names, or disabled") { d, t in
        t.directory.directoryIndex = d.arguments.count == 1 && d.arguments[0].lowercased() == "disabled" ? [] : d.arguments
    },
]
