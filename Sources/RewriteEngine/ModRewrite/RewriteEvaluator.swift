import Foundation
import PCRE2Regex

/// Runs mod_rewrite rule lists the way Apache 2.4's mod_rewrite.c does
/// (`apply_rewrite_list`, `apply_rewrite_rule`, `apply_rewrite_cond`, and the endings
/// of `hook_uri2file` and `hook_fixup`).
public struct RewriteEvaluator: Sendable {
    public let maps: RewriteMapStore
    /// Apache's `2 * LimitRequestLine`: a rewritten URL longer than this is a loop (500).
    public var maximumLength = 2 * 8190
    /// Apache's default cap on `[N]` rounds.
    public static let defaultMaximumRounds = 32000

    public init(maps: RewriteMapStore) {
        self.maps = maps
    }

    /// Server (or virtual-host) context: `uri` is the decoded URL path, `query` the query.
    public func applyServerRules<Environment: RewriteEnvironment>(
        _ config: RewriteConfig, uri: String, query: String?, environment: Environment,
        trace: ((RewriteTraceStep) -> Void)? = nil
    ) -> RewriteOutcome {
        var outcome = RewriteOutcome()
        guard config.isEnabled, !config.rules.isEmpty else { return outcome }
        guard uri.hasPrefix("/") || config.options?.contains(.allowAnyURI) == true else { return outcome }
        var state = State(filename: uri, pathInfo: "", args: query)
        let result = applyList(config, &state, perDirectory: nil, environment: environment, outcome: &outcome, trace: trace)
        guard result != .unchanged else { return outcome }
        if endsWithStatus(state, result, refusalID: "AH10410", &outcome) { return outcome }
        if state.proxy {
            // mod_proxy canonicalises the path (upper-case escapes); the query goes as it is.
            outcome.action = .proxy(url: URIEscaping.canonicalizeProxyURL(state.filename) + (state.args.map { "?" + $0 } ?? ""))
            return outcome
        }
        if hasScheme(state.filename) {
            outcome.action = redirect(state, result, originalQuery: query)
            return outcome
        }
        guard state.filename.hasPrefix("/") else {
            outcome.action = .status(400)
            outcome.logMessage = "rewritten to '\(state.filename)', neither a URL path nor an absolute URL"
            return outcome
        }
        outcome.action = .rewritten(path: state.filename, query: state.args, passThrough: state.passThrough)
        return outcome
    }

    /// Directory context (`<Directory>`, `.htaccess`): `filename` is the mapped file
    /// path, `pathInfo` the rest of the URL after it; `documentRoot` turns a result back
    /// into a URL when there is no RewriteBase.
    /// `maps` are the server's (RewriteMap is not allowed per directory).
    public func applyDirectoryRules<Environment: RewriteEnvironment>(
        _ config: RewriteConfig, filename: String, pathInfo: String, query: String?, documentRoot: String?,
        maps: [String: RewriteMapDefinition] = [:], environment: Environment, trace: ((RewriteTraceStep) -> Void)? = nil
    ) -> RewriteOutcome {
        var outcome = RewriteOutcome()
        guard config.isEnabled, !config.rules.isEmpty, let directory = config.directory else { return outcome }
        // A request for the directory itself without its slash is left to mod_dir.
        if config.options?.contains(.allowNoSlash) != true, directory.hasSuffix("/"),
           filename == String(directory.dropLast()) {
            return outcome
        }
        var state = State(filename: filename, pathInfo: pathInfo, args: query)
        let result: ListResult
        if maps.isEmpty {
            result = applyList(config, &state, perDirectory: directory, environment: environment, outcome: &outcome, trace: trace)
        } else {
            var withMaps = config
            withMaps.maps = maps.merging(config.maps) { _, own in own }
            result = applyList(withMaps, &state, perDirectory: directory, environment: environment, outcome: &outcome, trace: trace)
        }
        guard result != .unchanged else { return outcome }
        if endsWithStatus(state, result, refusalID: "AH10411", &outcome) { return outcome }
        if state.proxy {
            outcome.action = .proxy(url: state.filename + (state.args.map { "?" + $0 } ?? ""))
            return outcome
        }
        if hasScheme(state.filename) {
            if let base = config.base, let path = Self.pathStart(of: state.filename) {
                // The directory in the URL's path is replaced by the RewriteBase.
                let head = String(state.filename[..<path])
                state.filename = head + Self.substitutePrefix(String(state.filename[path...]), directory: directory, base: base)
            }
            outcome.action = redirect(state, result, originalQuery: query)
            return outcome
        }
        guard state.filename.hasPrefix("/") else {
            outcome.action = .status(400)
            return outcome
        }
        if state.filename == filename {
            // "initial URL equal rewritten URL": no re-injection; the new query stays.
            outcome.action = state.args == query ? .unchanged : .queryChanged(query: state.args)
            return outcome
        }
        var url = state.filename
        if let base = config.base {
            url = Self.substitutePrefix(url, directory: directory, base: base)
        } else if var root = documentRoot {
            while root.hasSuffix("/") { root.removeLast() }
            if url.hasPrefix(root) { url = String(url.dropFirst(root.count)) }
        }
        outcome.action = .internalRedirect(url: url + (state.args.map { "?" + $0 } ?? ""))
        return outcome
    }
}
