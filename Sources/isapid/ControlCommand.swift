import ArgumentParser
import Foundation
import HTTPDaemon
import struct ServerConfig.ConfigLoadOptions
import struct ServerConfig.ServerConfiguration

extension ControlAction: ExpressibleByArgument {}

/// `isapid -k ACTION`: the configuration (located by the same -f, -d, -C, -c, -D as a
/// start) names the PidFile; `Control` acts on it, `Daemonizer` starts the daemon.
extension ServeCommand {
    func runControl(_ action: ControlAction, options: ConfigLoadOptions,
                    configuration: ServerConfiguration) -> Int32 {
        let daemonizer = Daemonizer(arguments: daemonArguments(options))
        let control = Control(
            pidFile: PidFile(path: configuration.pidFile),
            stopTimeout: .seconds(configuration.gracefulShutdownTimeoutSeconds + 5),
            start: daemonizer.start)
        return control.run(action)
    }

    /// Whether this `-k` will start a daemon, which prints the configuration's warnings itself.
    func startsDaemon(_ configuration: ServerConfiguration) -> Bool {
        guard let control, !configTest else { return false }
        switch control {
        case .start, .restart, .graceful:
            return !PidFile(path: configuration.pidFile).isRunning
        case .stop, .gracefulStop:
            return false
        }
    }

    /// The daemon's command line: the same configuration, ServerRoot made absolute, no `-k`.
    func daemonArguments(_ options: ConfigLoadOptions) -> [String] {
        var arguments = ["-f", configFile, "-d", URL(fileURLWithPath: options.serverRoot).standardizedFileURL.path]
        for directive in preDirectives { arguments += ["-C", directive] }
        for directive in postDirectives { arguments += ["-c", directive] }
        for name in defines { arguments += ["-D", name] }
        if singleProcess { arguments.append("-X") }
        return arguments
    }
}
