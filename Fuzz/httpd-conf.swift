import Foundation
@testable import ServerConfig  // HtaccessCompiler is internal: build.sh compiles ServerConfig with -enable-testing

/// Any text as an httpd.conf (lexer, section tree, Include/Define/IfModule, every
/// directive's compiler) and as an .htaccess: loading either gives a configuration or a
/// ConfigError, never a crash. ServerRoot is a throw-away directory with a few files for
/// Include and TypesConfig to find; inputs naming device or kernel files are skipped
/// (`Include /dev/zero` reads forever by design, as in Apache — not a parser property).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHttpdConf(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let lowered = text.lowercased()
    if lowered.contains("dev") || lowered.contains("proc") || lowered.contains("sys") { return 0 }
    let server = (try? ConfigLoader.load(text: text, file: fakeRoot + "/conf/httpd.conf", serverRoot: fakeRoot))
        ?? baseline
    let htaccess = HtaccessCompiler(configuration: server, table: .standard)
        .compile(text, path: fakeRoot + "/htdocs/.htaccess", directory: fakeRoot + "/htdocs/")
    _ = htaccess.problem(allowOverride: Set(Override.allCases), allowOverrideList: [])
    return 0
}

/// What the .htaccess reading gets when the text is no valid httpd.conf.
let baseline = try! ConfigLoader.load(text: "", file: fakeRoot + "/conf/httpd.conf", serverRoot: fakeRoot)

/// Made once per process: conf/mime.types, conf/extra/*.conf for Include, htdocs/.
let fakeRoot: String = {
    let root = NSTemporaryDirectory() + "isapid-fuzz-conf-\(getpid())"
    let files = [
        "conf/mime.types": "text/html html htm\ntext/plain txt\n",
        "conf/extra/a.conf": "ServerAdmin a@example.com\n<IfModule mod_rewrite.c>\nRewriteEngine On\n</IfModule>\n",
        "conf/extra/b.conf": "Define FROM_B yes\nAlias /b ${SRVROOT}/htdocs\n",
        "conf/ini/httpd.ini": "[ISAPI_Rewrite]\nRewriteRule /a /b\n",
        "htdocs/index.html": "hi\n",
        "htdocs/scripts/hello.dll": "not a library\n",
    ]
    for (path, content) in files {
        let full = root + "/" + path
        try? FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        try? content.write(toFile: full, atomically: false, encoding: .utf8)
    }
    atexit { try? FileManager.default.removeItem(atPath: fakeRoot) }
    return root
}()
