import Glibc
@testable import HTTPDaemon
import ServerConfig
import Testing

/// What a start does about User/Group, and which log files the parent and the serving
/// process hand to User (the switch itself is tested end to end: PrivilegeDropTests).
@Suite struct PrivilegeDropPlanTests {
    static func configuration(_ user: RunAsUser?, _ group: RunAsGroup? = nil) -> ServerConfiguration {
        var configuration = ServerConfiguration(serverRoot: "/srv", configFile: "/srv/conf/httpd.conf")
        configuration.user = user
        configuration.group = group
        return configuration
    }

    @Test func noUserKeepsTheIdentity() throws {
        #expect(try PrivilegeDrop.plan(for: Self.configuration(nil)) == .keepIdentity)
    }

    /// As root (how this suite runs here and in CI); as anyone else the plan is `.notRoot`.
    @Test func theGroupDefaultsToTheUsersOwnAndAnUnknownUidNeedsOne() throws {
        let user = RunAsUser(name: "nobody", uid: 65534, primaryGroup: 65534)
        let numeric = RunAsUser(name: "#54321", uid: 54321, primaryGroup: nil)
        guard geteuid() == 0 else {
            #expect(try PrivilegeDrop.plan(for: Self.configuration(user)) == .notRoot)
            print("PrivilegeDropPlanTests: not root, only the .notRoot plan was checked")
            return
        }
        #expect(try PrivilegeDrop.plan(for: Self.configuration(user))
                == .switchTo(PrivilegeDrop.Identity(user: user, gid: 65534)))
        #expect(try PrivilegeDrop.plan(for: Self.configuration(user, RunAsGroup(name: "#7", gid: 7)))
                == .switchTo(PrivilegeDrop.Identity(user: user, gid: 7)))
        #expect(throws: DaemonError.self) { try PrivilegeDrop.plan(for: Self.configuration(numeric)) }
    }

    /// The main ErrorLog (a `<VirtualHost>` ErrorLog is read but not opened by isapid:
    /// no file is created for it); CustomLogs are covered end to end.
    @Test func logPathsAreTheFilesTheServingProcessOpens() {
        var configuration = Self.configuration(nil)
        #expect(PrivilegeDrop.logPaths(of: configuration).isEmpty)  // ErrorLog to stderr
        configuration.errorLog = "/srv/logs/error_log"
        var site = VirtualHost()
        site.errorLog = "/srv/logs/site_error_log"
        configuration.virtualHosts = [site]
        #expect(PrivilegeDrop.logPaths(of: configuration) == ["/srv/logs/error_log"])
    }
}
