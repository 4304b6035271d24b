import Logging
import Testing
import ServerConfig
@testable import RequestPipeline

/// Script maps in the pipeline: which handler runs, the checks before the engine, and
/// what the engine's ECB carries (lpszPathInfo, lpszPathTranslated, the variables).
@Suite struct ScriptMapPipelineTests {
    static func pipeline(_ tree: PipelineTree, _ extra: String) throws -> Pipeline {
        let isapi = ISAPIRequestHandler()
        let pipeline = try tree.pipeline("""
            DocumentRoot \(tree.htdocs)
            <Directory \(tree.htdocs)/app>
                Options ExecCGI
            </Directory>
            \(extra)
            """, handlers: ["isapi-handler": isapi, "other-handler": RecordingHandler(name: "other-handler")])
        isapi.configurationLoaded(pipeline.configuration) { _ in Logger(label: "test") }
        return pipeline
    }

    /// The extension run a response hands off, if any.
    static func run(_ response: Response) -> ISAPIExtensionRun? {
        if case .handOff(let handler) = response.body { return handler as? ISAPIExtensionRun }
        return nil
    }

    @Test func theEngineRunsWithTheScriptsIISVariables() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let script = tree.write("htdocs/app/x.php", "<?php ?>")
        let pipeline = try Self.pipeline(tree, "ISAPIScriptMap .php /opt/php/php5isapi.dll")
        let (context, response) = pipeline.run("/app/x.php/extra?q=1")
        let run = try #require(Self.run(response), "\(response.status)")
        #expect(run.path == "/opt/php/php5isapi.dll")
        #expect(context.handler == "isapi-handler")
        #expect(context.scriptMap?.engine == "/opt/php/php5isapi.dll")

        let request = ISAPIExtensionRun.request(context, configuration: pipeline.configuration)
        #expect(request.pathInfo == "/app/x.php/extra")
        #expect(request.pathTranslated == script)
        func variable(_ name: String) -> String? {
            (request.variables + request.serverOnlyVariables).first { $0.name == name }?.value
        }
        #expect(variable("SCRIPT_NAME") == "/app/x.php")
        #expect(variable("URL") == "/app/x.php")
        #expect(variable("PATH_INFO") == "/app/x.php/extra")
        #expect(variable("PATH_TRANSLATED") == script)
        #expect(variable("SCRIPT_FILENAME") == script)
        #expect(variable("SCRIPT_TRANSLATED") == script)
        #expect(variable("QUERY_STRING") == "q=1")
    }

    @Test func aDirectlyRequestedExtensionKeepsApachesVariables() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let dll = tree.write("htdocs/app/x.dll", "MZ")
        let pipeline = try Self.pipeline(tree, "AddHandler isapi-handler .dll\nISAPIScriptMap .php /opt/php.dll")
        let (context, response) = pipeline.run("/app/x.dll/extra")
        #expect(try #require(Self.run(response)).path == dll)
        #expect(context.scriptMap == nil)
        let request = ISAPIExtensionRun.request(context, configuration: pipeline.configuration)
        #expect(request.pathInfo == "/extra")
        #expect(request.pathTranslated == tree.htdocs + "/extra")
        #expect(request.variables.first { $0.name == "SCRIPT_FILENAME" }?.value == dll)
        // IIS's URL has no extra path.
        #expect(request.serverOnlyVariables.first { $0.name == "URL" }?.value == "/app/x.dll")
    }

    @Test func theMapUsesTheLastExtensionOnlyAndIgnoresCase() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/app/x.php.txt", "text")
        tree.write("htdocs/app/Y.PHP", "<?php ?>")
        let pipeline = try Self.pipeline(tree, "ISAPIScriptMap .php /opt/php.dll")
        #expect(Self.run(pipeline.run("/app/x.php.txt").1) == nil)
        #expect(pipeline.run("/app/x.php.txt").1.status == 200)
        #expect(Self.run(pipeline.run("/app/Y.PHP").1)?.path == "/opt/php.dll")
    }

    @Test func setHandlerOverridesTheMapAndTheMapOverridesAddHandler() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/app/x.php", "<?php ?>")
        tree.write("htdocs/set/x.php", "<?php ?>")
        let pipeline = try Self.pipeline(tree, """
            ISAPIScriptMap .php /opt/php.dll
            AddHandler other-handler .php
            <Directory \(tree.htdocs)/set>
                SetHandler other-handler
            </Directory>
            """)
        #expect(Self.run(pipeline.run("/app/x.php").1)?.path == "/opt/php.dll")
        #expect(pipeline.run("/set/x.php").1.headers["X-Handler"] == "other-handler")
    }

    @Test func verifyAndExecCGIAreCheckedBeforeTheEngine() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        tree.write("htdocs/noexec/x.php", "<?php ?>")
        tree.mkdir("htdocs/app/dir.php")
        let pipeline = try Self.pipeline(tree, "ISAPIScriptMap .php /opt/php.dll verify")
        #expect(pipeline.run("/app/missing.php").1.status == 404)
        #expect(pipeline.run("/noexec/x.php").1.status == 403)
        // A directory whose name ends in .php is a directory, not a script.
        #expect(pipeline.run("/app/dir.php").1.status == 301)
    }

    @Test func anActionRedirectsToTheEngineWithTheURLAppended() throws {
        let tree = PipelineTree()
        defer { tree.remove() }
        let page = tree.write("htdocs/app/p.tpl", "page")
        let engine = tree.write("htdocs/engines/t.dll", "MZ")
        let pipeline = try Self.pipeline(tree, """
            <Directory \(tree.htdocs)/engines>
                Options ExecCGI
                AddHandler isapi-handler .dll
            </Directory>
            Action tpl-page /engines/t.dll
            AddHandler tpl-page .tpl
            """)
        let (context, response) = pipeline.run("/app/p%20q/../p.tpl?x=1")
        #expect(try #require(Self.run(response)).path == engine)
        #expect(context.path == "/engines/t.dll/app/p.tpl")
        #expect(context.pathInfo == "/app/p.tpl")
        #expect(context.query == "x=1")
        #expect(context.environment["REDIRECT_URL"] == "/app/p.tpl")
        #expect(context.environment["REDIRECT_STATUS"] == "200")
        let request = ISAPIExtensionRun.request(context, configuration: pipeline.configuration)
        #expect(request.pathTranslated == page)
        #expect(pipeline.run("/app/missing.tpl").1.status == 404)
    }
}
