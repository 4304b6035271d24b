@testable import RewriteEngine
import Testing

/// `%{SSL:VAR}`: mod_ssl's variables, read through the environment whatever SSLOptions
/// says, empty on plain HTTP.
@Suite struct ModRewriteTLSTests {
    let evaluator = RewriteEvaluator(maps: RewriteMapStore())

    func server(_ lines: [String], _ uri: String, environment: TestEnvironment) throws -> RewriteAction {
        try evaluator.applyServerRules(rewriteConfig(lines), uri: uri, query: nil, environment: environment).action
    }

    @Test func sslVariablesReachConditionsAndSubstitutions() throws {
        var tls = TestEnvironment()
        tls.ssl = ["SSL_PROTOCOL": "TLSv1.3", "SSL_CLIENT_S_DN_CN": "alice"]
        let rules = ["RewriteCond %{SSL:SSL_PROTOCOL} ^TLSv1\\.3$", "RewriteRule ^/who$ /users/%{SSL:SSL_CLIENT_S_DN_CN}"]
        #expect(try server(rules, "/who", environment: tls) == .rewritten(path: "/users/alice", query: nil, passThrough: false))
        // Plain HTTP: the condition sees "" and the rule does not apply.
        #expect(try server(rules, "/who", environment: TestEnvironment()) == .unchanged)
        // An unknown SSL variable is empty, as mod_rewrite gives it.
        #expect(try server(["RewriteCond %{SSL:SSL_NO_SUCH}x ^x$", "RewriteRule ^/e$ /empty"], "/e", environment: tls)
                == .rewritten(path: "/empty", query: nil, passThrough: false))
    }
}
