import ArgumentParser
import Foundation
import HTTPDaemon
import RequestPipeline
import struct ServerConfig.ConfigError
import struct ServerConfig.ConfigLoadOptions
import enum ServerConfig.ConfigLoader
import struct ServerConfig.ServerConfiguration

/// `isapid`: Apache httpd's command line, for a server that hosts ISAPI extensions.
/// Serving is the default; `isapid rewrite-test` explains the rewrite rules.
@main
struct ISAPIDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "isapid",
        abstract: "An HTTP/1.1 server that hosts ISAPI 2.0 extensions, configured like Apache httpd.",
        subcommands: [ServeCommand.self, RewriteTestCommand.self],
        defaultSubcommand: ServeCommand.self)
}

/// `isapid [-f file] [-d dir] …`: serves (or, with -t, checks the configuration).
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve (the default): isapid -f conf/httpd.conf.",
        discussion: """
            isapid runs in the foreground as a supervising parent and one serving process, which \
            the parent restarts at once when an extension crashes it. SIGHUP or SIGUSR1 (graceful \
            restart) reload the configuration and reopen the log files (an invalid configuration \
            is logged and the running one kept); SIGTERM, SIGINT or SIGWINCH (graceful stop) \
            stop gracefully. The PidFile (default logs/isapid.pid) names the process to signal; \
            isapid -k start|stop|restart|graceful|graceful-stop (with the same -f, -d, -C, -c, -D) \
            acts through it as apachectl does, -k start running isapid as a daemon.
            """)

    @Option(name: .customShort("f"), help: ArgumentHelp("The configuration file (relative to ServerRoot).", valueName: "file"))
    var configFile: String = "conf/httpd.conf"

    @Option(name: .customShort("d"), help: ArgumentHelp("The initial ServerRoot (default: the current directory).", valueName: "directory"))
    var serverRoot: String?

    @Option(name: .customShort("C"), help: ArgumentHelp("A directive processed before reading the config file.", valueName: "directive"))
    var preDirectives: [String] = []

    @Option(name: .customShort("c"), help: ArgumentHelp("A directive processed after reading the config file.", valueName: "directive"))
    var postDirectives: [String] = []

    @Option(name: .customShort("D"), help: ArgumentHelp("Define a name for <IfDefine> and ${NAME}.", valueName: "name"))
    var defines: [String] = []

    @Flag(name: .customShort("t"), help: "Check the configuration: prints Syntax OK, or FILE:LINE: message and exits 1.")
    var configTest = false

    @Flag(name: .customShort("v"), help: "Show the version and exit.")
    var showVersion = false

    @Flag(name: .customShort("X"), help: "Serve in one process, without the supervising parent (for debugging).")
    var singleProcess = false

    @Option(name: .customShort("k"), help: ArgumentHelp(
        "Act on the isapid the PidFile names, as httpd -k: start (as a daemon), stop, restart, graceful, graceful-stop.",
        valueName: "action"))
    var control: ControlAction?

    @Flag(name: .customShort("S"), help: "Show the virtual-host settings as parsed (httpd -S) and exit.")
    var dumpVirtualHosts = false

    @Flag(name: .customShort("M"), help: "Show the modules isapid implements (httpd -M) and exit.")
    var dumpModules = false

    func run() throws {
        // Before anything can start a thread: every thread must inherit the blocked signals,
        // and the environment may only change while this is the only thread.
        let supervision = Supervision.takeFromEnvironment()
        let supervising = supervision == nil && !singleProcess
        if supervising { Supervisor.blockSignals() } else { Daemon.blockHandledSignals() }
        if showVersion {
            print("Server version: isapid/\(ServerSoftware.version) (Linux)")
            return
        }
        if dumpModules {
            print(ConfigDump.modules(), terminator: "")
            return
        }
        let options = ConfigLoadOptions(
            configFile: configFile, serverRoot: serverRoot ?? FileManager.default.currentDirectoryPath,
            defines: defines, preDirectives: preDirectives, postDirectives: postDirectives)
        let configuration: ServerConfiguration
        switch ISAPIDCommand.load(options) {
        case .success(let loaded): configuration = loaded
        case .failure(let error):
            ISAPIDCommand.printError(error.description)
            throw ExitCode(1)
        }
        if dumpVirtualHosts {
            print(ConfigDump.virtualHosts(configuration), terminator: "")
            return
        }
        // A serving child's parent has printed them already; a daemon -k start starts forwards them.
        if supervision == nil && !startsDaemon(configuration) {
            for warning in configuration.warnings { ISAPIDCommand.printError("warning: \(warning.description)") }
        }
        if configTest {
            // IIS serves without a filter that fails to load; -t says which, and where.
            for problem in ISAPIFilterHost.check(configuration) { ISAPIDCommand.printError("warning: \(problem)") }
            print("Syntax OK")
            return
        }
        if let control, !configTest {
            let status = runControl(control, options: options, configuration: configuration)
            if status != 0 { throw ExitCode(status) }
            return
        }
        // The process an administrator signals writes the PidFile; a serving child does not.
        let pidFile = supervision == nil ? PidFile(path: configuration.pidFile) : nil
        do {
            try pidFile?.refuseIfRunning()
        } catch {
            ISAPIDCommand.printError(error.description)
            throw ExitCode(1)
        }
        if supervising {
            let status: Int32
            do {
                status = try Supervisor(options: options, configuration: configuration).run()
            } catch {
                ISAPIDCommand.printError("isapid: \(error)")
                throw ExitCode(1)
            }
            if status != 0 { throw ExitCode(status) }
            return
        }
        do {
            let isapi = ISAPIRequestHandler()
            let daemon = try Daemon(
                options: options, configuration: configuration,
                handlers: ["isapi-handler": isapi, "isapi-isa": isapi, ProxyRequestHandler.name: ProxyRequestHandler()],
                supervision: supervision, pidFile: pidFile)
            try daemon.run()
        } catch {
            ISAPIDCommand.printError("isapid: \(error)")
            throw ExitCode(1)
        }
    }
}

extension ISAPIDCommand {
    /// Loads and checks the configuration as `-t` and start-up see it.
    static func load(_ options: ConfigLoadOptions) -> Result<ServerConfiguration, ConfigError> {
        Result { () throws(ConfigError) -> ServerConfiguration in
            let configuration = try ConfigLoader.load(options)
            try Daemon.validate(configuration)
            return configuration
        }
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
