import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// mod_unixd's `User`/`Group` end to end: started as root, the serving process (the
/// supervised child, or the `-X` process) runs as nobody/nogroup before it loads an
/// extension; it cannot become root again, cannot read a root-only file, and still
/// writes its logs, also after a rotation and SIGHUP. These tests need root: as anyone
/// else they are reported as skipped, with the reason.
@Suite struct PrivilegeDropTests {
    static let notRootReason: Comment = "needs root (the privilege drop is a switch from root): skipped"
    static var runningAsRoot: Bool {
        if getuid() == 0 { return true }
        print("PrivilegeDropTests: \(notRootReason)")
        return false
    }

    /// An extension (an ISAPICacheFile, so loaded at start) that reports who it was loaded
    /// as and who it runs as, whether setuid(0) succeeds, and whether it can open the file
    /// its query string names.
    static let whoami = """
        #include <stdio.h>
        #include <string.h>
        #include <unistd.h>
        #include <fcntl.h>
        #include <grp.h>
        #include <httpext.h>
        static int loadedAs = -1;
        BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
        {
            loadedAs = (int)geteuid();
            pVer->dwExtensionVersion = MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR);
            pVer->lpszExtensionDesc[0] = '\\0';
            return TRUE;
        }
        DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
        {
            char body[512];
            gid_t groups[32];
            int count = getgroups(32, groups);
            char list[256] = "";
            for (int i = 0; i < count; i++) {
                char one[16];
                snprintf(one, sizeof one, i ? ",%u" : "%u", (unsigned)groups[i]);
                strncat(list, one, sizeof list - strlen(list) - 1);
            }
            int fd = open(pECB->lpszQueryString, O_RDONLY);
            int setuidZero = setuid(0);
            snprintf(body, sizeof body, "loaded=%d uid=%u euid=%u gid=%u egid=%u groups=%s setuid0=%d open=%d",
                     loadedAs, (unsigned)getuid(), (unsigned)geteuid(), (unsigned)getgid(), (unsigned)getegid(),
                     list, setuidZero, fd);
            static const char headers[] = "Content-Type: text/plain\\r\\n\\r\\n";
            HSE_SEND_HEADER_EX_INFO hdr;
            memset(&hdr, 0, sizeof hdr);
            hdr.pszStatus = "200 OK";
            hdr.cchStatus = 6;
            hdr.pszHeader = headers;
            hdr.cchHeader = (DWORD)(sizeof headers - 1);
            if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &hdr, NULL, NULL))
                return HSE_STATUS_ERROR;
            DWORD len = (DWORD)strlen(body);
            pECB->WriteClient(pECB->ConnID, body, &len, HSE_IO_SYNC);
            return HSE_STATUS_SUCCESS;
        }
        """

    @Test(.enabled(if: runningAsRoot, notRootReason), arguments: [false, true])
    func servesAsNobodyAndStillLogsAfterARotation(singleProcess: Bool) throws {
        let nobody = try #require(getpwnam("nobody")).pointee.pw_uid
        let nogroup = try #require(getgrnam("nogroup")).pointee.gr_gid
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        try root.write("htdocs/secret.txt", "root only\n")
        let secret = root.path("htdocs/secret.txt")
        #expect(chmod(secret, 0o600) == 0)
        try FileManager.default.createDirectory(atPath: root.path("htdocs/scripts"), withIntermediateDirectories: true)
        try ISAPITests.compileExtension(Self.whoami, to: root.path("htdocs/scripts/whoami.dll"))
        // A .htaccess only root can read: read as User, it cannot be checked (403, as Apache).
        try root.write("htdocs/private/.htaccess", "Require all granted\n")
        try root.write("htdocs/private/p.txt", "private\n")
        #expect(chmod(root.path("htdocs/private/.htaccess"), 0o600) == 0)
        try root.writeConfig(ISAPITests.config(root, extra: """
            <Directory "htdocs/private">
                AllowOverride All
            </Directory>
            User nobody
            Group nogroup
            ISAPICacheFile htdocs/scripts/whoami.dll
            """))
        let daemon = try DaemonProcess(root: root, extraArguments: singleProcess ? ["-X"] : [])
        defer { daemon.stop() }

        let expected = "loaded=\(nobody) uid=\(nobody) euid=\(nobody) gid=\(nogroup) egid=\(nogroup) groups=\(nogroup) "
            + "setuid0=-1 open=-1"
        let answer = try daemon.get("/scripts/whoami.dll?\(secret)")
        #expect(answer.status == 200)
        #expect(answer.bodyText == expected)
        #expect(try daemon.get("/secret.txt").status == 403)
        #expect(try daemon.get("/a.txt").status == 200)
        #expect(try daemon.get("/private/p.txt").status == 403)
        #expect(eventually(timeout: 3) { daemon.errorLog.contains("IS00529") }, "error_log: \(daemon.errorLog)")
        #expect(eventually(timeout: 3) { daemon.accessLog.contains("GET /secret.txt") }, "access_log: \(daemon.accessLog)")
        #expect(eventually(timeout: 3) { daemon.errorLog.contains("IS00562") }, "error_log: \(daemon.errorLog)")
        #expect(daemon.errorLog.contains("serving as uid \(nobody) (nobody), gid \(nogroup)"))
        if !singleProcess {
            // The parent keeps root: it binds, restarts the child, reopens its log.
            #expect(Self.effectiveUid(of: daemon.pid) == 0)
            let children = CrashRecoveryTests.children(of: daemon.pid)
            #expect(children.count == 1 && children.allSatisfy { Self.effectiveUid(of: $0) == nobody })
        }

        // The supervised pair: logrotate renames, then SIGHUP; the root parent creates the
        // new files for the nobody child. `-X` (no root left) reopens the files it has.
        if !singleProcess {
            let fm = FileManager.default
            try fm.moveItem(atPath: root.path("logs/access_log"), toPath: root.path("logs/access_log.1"))
            try fm.moveItem(atPath: root.path("logs/error_log"), toPath: root.path("logs/error_log.1"))
        }
        daemon.sendSignal(SIGHUP)
        #expect(eventually(timeout: 5, interval: 0.05) {
            // Rotated: a new file; else: the part after the restart's first line.
            let parts = daemon.errorLog.components(separatedBy: "SIGHUP received")
            return (singleProcess ? parts.count > 1 : true) && parts.last!.contains("resuming normal operations")
        }, "error_log: \(daemon.errorLog) error_log.1: \(root.read("logs/error_log.1"))")
        #expect(try daemon.get("/b.txt").status == 200)
        #expect(eventually(timeout: 3) { daemon.accessLog.contains("GET /b.txt") }, "access_log: \(daemon.accessLog)")
        if !singleProcess {
            #expect(!root.read("logs/access_log.1").contains("GET /b.txt"))
            #expect(Self.owner(of: root.path("logs/access_log")) == nobody)
        }
        #expect(try daemon.get("/scripts/whoami.dll?\(secret)").bodyText == expected)

        // A configuration the serving process (nobody) cannot read is refused, and logged.
        #expect(chmod(root.path("conf/httpd.conf"), 0o600) == 0)
        daemon.sendSignal(SIGHUP)
        #expect(eventually(timeout: 5, interval: 0.05) { daemon.errorLog.contains("IS00526") }, "error_log: \(daemon.errorLog)")
        #expect(try daemon.get("/a.txt").status == 200)
        #expect(daemon.isRunning)
    }

    /// httpd.ini is first read by User, as it is re-read when it changes: the
    /// httpd.parse.errors written beside it is User's, and an edit rewrites it (read as
    /// root at start, it was root's, and User could not update it after the edit).
    @Test(.enabled(if: runningAsRoot, notRootReason))
    func httpdIniIsReadAsUserFromTheStart() throws {
        let nobody = try #require(getpwnam("nobody")).pointee.pw_uid
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        try root.write("conf/httpd.ini", "[ISAPI_Rewrite]\nRewriteRule /page /a.txt\nRewriteRule (broken /x\n")
        #expect(chmod(root.path("conf"), 0o777) == 0, "User may write httpd.parse.errors there")
        try root.writeConfig(TestConfig.standard("User nobody\nGroup nogroup"))
        let daemon = try DaemonProcess(root: root)
        defer { daemon.stop() }
        #expect(try daemon.get("/page").status == 200)
        let errors = root.path("conf/httpd.parse.errors")
        #expect(root.read("conf/httpd.parse.errors").hasPrefix("line 3: "))
        #expect(Self.owner(of: errors) == nobody)

        try root.write("conf/httpd.ini", "[ISAPI_Rewrite]\nRewriteRule /page /a.txt\nRewriteRule /other /b.txt\nRewriteRule (broken /x\n")
        // The errors are written as the file is parsed, the rules take over after that.
        #expect(eventually(timeout: 5, interval: 0.05) { (try? daemon.get("/other"))?.status == 200 })
        #expect(eventually(timeout: 5, interval: 0.05) { root.read("conf/httpd.parse.errors").hasPrefix("line 4: ") },
                "httpd.parse.errors: \(root.read("conf/httpd.parse.errors")) error_log: \(daemon.errorLog)")
        #expect(!daemon.errorLog.contains("cannot write"), "error_log: \(daemon.errorLog)")
    }

    /// Started as nobody (setpriv), `-X` ignores User/Group with a notice and goes on:
    /// here to a bind that fails (the port is a running isapid's), so that it exits.
    @Test(.enabled(if: runningAsRoot, notRootReason))
    func startedAsAnotherUserIgnoresUserAndGroupWithANotice() throws {
        let holder = try DaemonProcess.start(TestConfig.standard())
        defer { holder.stop() }
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        try root.writeConfig(TestConfig.standard("User root\nGroup root", listen: false) + "Listen 127.0.0.1:\(holder.port)\n")
        #expect(chown(root.path, 65534, 65534) == 0 && chown(root.path("logs"), 65534, 65534) == 0)
        let result = try runCommand(URL(fileURLWithPath: "/usr/bin/setpriv"), [
            "--reuid=65534", "--regid=65534", "--clear-groups",
            E2EPaths.isapidBinary.path, "-X", "-f", "conf/httpd.conf", "-d", root.path,
        ], timeout: 10)
        #expect(result.status != 0)
        let errorLog = root.read("logs/error_log")
        #expect(errorLog.contains("IS00561: not started as root: User and Group are ignored"), "error_log: \(errorLog)")
        #expect(!errorLog.contains("IS00562"), "error_log: \(errorLog)")
        #expect(errorLog.contains("IS00072"), "error_log: \(errorLog) stderr: \(result.stderr)")
    }

    /// `-t` says a root User is a bad idea (and is still Syntax OK, as Apache).
    @Test func configTestWarnsAboutRootAndRefusesAnUnknownUser() throws {
        let root = try ServerRoot()
        try TestConfig.writeSite(root)
        try root.writeConfig(TestConfig.standard("User root"))
        let check = try runIsapid(["-t", "-f", "conf/httpd.conf", "-d", root.path])
        #expect(check.status == 0, "stdout: \(check.stdout) stderr: \(check.stderr)")
        #expect((check.stdout + check.stderr).contains("User root is root: extensions would run as root"),
                "\(check.stdout) \(check.stderr)")

        try root.writeConfig(TestConfig.standard("User no-such-user-isapid"))
        let bad = try runIsapid(["-t", "-f", "conf/httpd.conf", "-d", root.path])
        #expect(bad.status != 0)
        #expect((bad.stdout + bad.stderr).contains("bad user name no-such-user-isapid: no such user"),
                "\(bad.stdout) \(bad.stderr)")
        #expect((bad.stdout + bad.stderr).contains("httpd.conf"), "\(bad.stdout) \(bad.stderr)")
    }

    static func owner(of path: String) -> uid_t? {
        var status = stat()
        return stat(path, &status) == 0 ? status.st_uid : nil
    }

    /// The effective uid of a process (`/proc/PID/status`, `Uid:` real effective saved fs).
    static func effectiveUid(of pid: Int32) -> uid_t? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") })
        else { return nil }
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        return fields.count > 2 ? uid_t(fields[2]) : nil
    }
}
