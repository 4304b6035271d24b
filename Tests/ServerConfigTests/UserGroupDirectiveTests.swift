import Foundation
import Testing
@testable import ServerConfig

/// mod_unixd's `User` and `Group`: names looked up when the configuration is read,
/// `#id` taken as is, an unknown name an error with file:line, root a warning.
@Suite struct UserGroupDirectiveTests {
    @Test func namesAreResolvedInThePasswordAndGroupDatabases() throws {
        let tree = TemporaryTree()
        let configuration = try tree.load("User nobody\nGroup nogroup\n")
        #expect(configuration.user?.name == "nobody")
        #expect(configuration.user?.uid == getpwnam("nobody")?.pointee.pw_uid)
        #expect(configuration.user?.primaryGroup == getpwnam("nobody")?.pointee.pw_gid)
        #expect(configuration.group == RunAsGroup(name: "nogroup", gid: getgrnam("nogroup")!.pointee.gr_gid))
        #expect(!configuration.warnings.contains { $0.message.contains("User") })
    }

    @Test func numericIdsNeedNoDatabaseEntry() throws {
        let configuration = try TemporaryTree().load("User #54321\nGroup #43210\n")
        #expect(configuration.user == RunAsUser(name: "#54321", uid: 54321, primaryGroup: nil))
        #expect(configuration.group == RunAsGroup(name: "#43210", gid: 43210))
    }

    @Test func noUserMeansNoSwitch() throws {
        let configuration = try TemporaryTree().load("ServerName localhost\n")
        #expect(configuration.user == nil && configuration.group == nil)
    }

    @Test func anUnknownUserIsAnErrorWithFileAndLine() throws {
        let error = try #require(TemporaryTree().error("ServerName localhost\nUser no-such-user-isapid\n"))
        #expect(error.line == 2)
        #expect(error.file.hasSuffix("conf/httpd.conf"))
        #expect(error.message == "User: bad user name no-such-user-isapid: no such user")
    }

    @Test func anUnknownGroupIsAnErrorWithFileAndLine() throws {
        let error = try #require(TemporaryTree().error("Group no-such-group-isapid\n"))
        #expect(error.line == 1)
        #expect(error.message == "Group: bad group name no-such-group-isapid: no such group")
    }

    @Test func aBadNumericIdIsAnError() throws {
        let user = try #require(TemporaryTree().error("User #nobody\n"))
        #expect(user.message == "User: bad user id #nobody: # must be followed by a number")
        let group = try #require(TemporaryTree().error("Group #-1x\n"))
        #expect(group.message == "Group: bad group id #-1x: # must be followed by a number")
    }

    @Test func rootIsAWarning() throws {
        let configuration = try TemporaryTree().load("User root\n")
        #expect(configuration.user?.uid == 0)
        #expect(configuration.warnings.map(\.message).filter { $0.hasPrefix("User") } == [
            "User root is root: extensions would run as root; name an unprivileged user",
        ])
        #expect(configuration.warnings.first { $0.message.hasPrefix("User") }?.line == 1)
    }

    @Test func theyBelongToTheServerConfigOnly() throws {
        let error = try #require(TemporaryTree().error("<VirtualHost *:80>\nUser nobody\n</VirtualHost>\n"))
        #expect(error.kind == .notAllowedHere)
        #expect(error.line == 2)
    }
}
