import Foundation
@testable import ServerConfig

/// A throw-away ServerRoot with files written into it.
final class TemporaryTree {
    let root: String

    init() {
        root = NSTemporaryDirectory() + "isapid-config-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: root + "/htdocs", withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    @discardableResult
    func write(_ relative: String, _ text: String) -> String {
        let path = root + "/" + relative
        try! FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func mkdir(_ relative: String) {
        try! FileManager.default.createDirectory(atPath: root + "/" + relative, withIntermediateDirectories: true)
    }

    func load(_ text: String, defines: [String] = [], pre: [String] = [], post: [String] = []) throws -> ServerConfiguration {
        write("conf/httpd.conf", text)
        return try ConfigLoader.load(ConfigLoadOptions(
            configFile: "conf/httpd.conf", serverRoot: root, defines: defines, preDirectives: pre, postDirectives: post))
    }

    func error(_ text: String) -> ConfigError? {
        do {
            _ = try load(text)
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            return nil
        }
    }
}
