import ISAPIHost
import Testing
import ServerConfig
@testable import RequestPipeline

/// An extension's server variables are built when it first asks for one (hello.dll asks
/// for none); what it then gets is exactly what the CGI environment built eagerly gives,
/// and the ECB's lpszPathTranslated is that environment's PATH_TRANSLATED.
@Suite struct LazyServerVariablesTests {
    static let headers = [
        ("User-Agent", "probe/1"), ("X-Multi", "a"), ("X-Multi", "b"), ("Content-Type", "text/plain"),
        ("Accept-Language", "en"), ("Authorization", "Basic x"),
    ]

    /// The context the pipeline hands the extension for `target`.
    static func context(_ target: String, extra: String = "AddHandler isapi-handler .dll") throws
        -> (RequestContext, ServerConfiguration, PipelineTree)
    {
        let tree = PipelineTree()
        tree.write("htdocs/app/x.dll", "MZ")
        tree.write("htdocs/app/x.php", "<?php ?>")
        let pipeline = try ScriptMapPipelineTests.pipeline(tree, extra)
        let (context, response) = pipeline.run(target, headers: headers)
        #expect(ScriptMapPipelineTests.run(response) != nil, "\(response.status)")
        return (context, pipeline.configuration, tree)
    }

    /// The eager environment as the extension's variables were built before.
    static func eager(_ context: RequestContext, _ configuration: ServerConfiguration) -> CGIEnvironment {
        var environment = CGIEnvironment(context, configuration: configuration)
        if context.scriptMap != nil { _ = environment.applyScriptMapSemantics(context) }
        return environment
    }

    static func same(_ a: [(name: String, value: String)], _ b: [(name: String, value: String)]) -> Bool {
        a.elementsEqual(b) { $0.name == $1.name && $0.value == $1.value }
    }

    @Test(arguments: ["/app/x.dll/extra/path?q=1&r=%41", "/app/x.dll", "/app/x.php/more?z", "/app/x.php"])
    func builtOnFirstUseAndEqualToTheEagerEnvironment(_ target: String) throws {
        let (context, configuration, tree) = try Self.context(target, extra: "AddHandler isapi-handler .dll\nISAPIScriptMap .php /opt/php.dll")
        defer { tree.remove() }
        let request = ISAPIExtensionRun.request(context, configuration: configuration)
        #expect(!request.lazyVariables.isBuilt, "nothing is built before the extension asks")
        let environment = Self.eager(context, configuration)
        #expect(request.pathTranslated == environment["PATH_TRANSLATED"] ?? "")
        #expect(request.method == "GET")
        #expect(request.contentType == "text/plain")

        // A variable asked for on demand is what the eager environment gave.
        #expect(ISAPIServerVariables.value("HTTP_X_MULTI", in: request) == "a, b")
        #expect(request.lazyVariables.isBuilt)
        for (name, value) in environment.variables {
            #expect(ISAPIServerVariables.value(name, in: request) == environment[name], "\(name)=\(value)")
        }
        #expect(Self.same(request.variables, environment.variables))
        // ALL_HTTP: the HTTP_ variables in the environment's order.
        let allHTTP = environment.variables.filter { $0.name.hasPrefix("HTTP_") }.map { "\($0.name):\($0.value)\r\n" }.joined()
        #expect(ISAPIServerVariables.value("ALL_HTTP", in: request) == allHTTP)
        #expect(allHTTP.hasPrefix("HTTP_HOST:"), "\(allHTTP)")
        #expect(ISAPIServerVariables.value("ALL_RAW", in: request)
                == context.headers.entries.map { "\($0.name): \($0.value)\r\n" }.joined())
        #expect(ISAPIServerVariables.value("URL", in: request) == CGIEnvironment.scriptName(context))
    }

    /// A SetEnv or `E=` variable named PATH_TRANSLATED (in any case) answers for the ECB
    /// field exactly as it answers in the environment.
    @Test(arguments: [
        ["PATH_TRANSLATED": "/set"], ["path_translated": "/lower"], ["PATH_TRANSLATED": "/set", "Path_Translated": "/mixed"],
        ["OTHER": "x"],
    ])
    func pathTranslatedSetByTheEnvironment(_ variables: [String: String]) throws {
        for target in ["/app/x.dll", "/app/x.dll/extra", "/app/x.php", "/app/x.php/extra"] {
            let (mapped, configuration, tree) = try Self.context(target, extra: "AddHandler isapi-handler .dll\nISAPIScriptMap .php /opt/php.dll")
            defer { tree.remove() }
            var context = mapped
            context.environment.merge(variables) { $1 }
            let request = ISAPIExtensionRun.request(context, configuration: configuration)
            let environment = Self.eager(context, configuration)
            #expect(request.pathTranslated == environment["PATH_TRANSLATED"] ?? "", "\(target) \(variables)")
            #expect(Self.same(request.variables, environment.variables), "\(target) \(variables)")
        }
    }
}
