import CISAPI
import Foundation
import Logging
import Testing

@testable import ISAPIHost

// ISAPI filters at the C boundary (issue 17): loading, GetFilterVersion, ordering, the
// HTTP_FILTER_CONTEXT callbacks and the notification structures, with filter_probe.c.

@Suite("ISAPI filters")
struct FilterTests {
    let logger = Logger(label: "filter-tests")

    func set(_ paths: [String], sites: [Int: [String]] = [:], previous: FilterSet? = nil) -> FilterSet {
        FilterSet(
            global: paths.map { .init(path: $0, location: "test.conf:1") },
            sites: sites.mapValues { $0.map { .init(path: $0, location: "test.conf:2") } },
            previous: previous, logger: logger)
    }

    @Test("Load: DllMain(ATTACH), GetFilterVersion with the server's version; flags, priority, description")
    func load() throws {
        let path = FilterFixture.copy(["PROBE_FLAGS=SF_NOTIFY_LOG|SF_NOTIFY_ORDER_MEDIUM", "PROBE_DESC=\"my filter\""])
        let library = try FilterLibrary.load(path: path)
        #expect(fixtureLog(path) == ["attach", "version server=0x20000"])
        #expect(library.priority == .medium)
        #expect(library.notifications == UInt32(SF_NOTIFY_LOG))
        #expect(library.notificationNames == ["SF_NOTIFY_LOG"])
        #expect(library.descriptionBytes == Array("my filter".utf8))
        // Neither port flag: both, as IIS.
        #expect(library.servesPort(secure: true) && library.servesPort(secure: false))
        library.unload()
        library.unload()
        #expect(fixtureLog(path).suffix(2) == ["terminate 0", "detach"])
    }

    @Test("GetFilterVersion FALSE: a load error naming the file and the last error; the set serves without it")
    func refused() throws {
        let path = FilterFixture.copy(["PROBE_ACCEPT=FALSE"])
        #expect(
            throws: ModuleLoadError(
                .filter, path: path, kind: .versionRefused(lastError: 5),
                reason: "GetFilterVersion returned FALSE")
        ) {
            try FilterLibrary.load(path: path)
        }
        #expect(fixtureLog(path) == ["attach", "version server=0x20000", "detach"])
        let good = FilterFixture.copy()
        let filters = set([path, good, "/nonexistent/filter.dll"])
        #expect(filters.global.filters.map(\.path) == [good])
        filters.retire(keeping: nil, logger: logger)
    }

    @Test("Order: global before site; within a list high, medium, low, then configuration order")
    func order() throws {
        let low1 = FilterFixture.copy(["PROBE_FLAGS=SF_NOTIFY_LOG"])
        let high = FilterFixture.copy(["PROBE_FLAGS=SF_NOTIFY_LOG|SF_NOTIFY_ORDER_HIGH"])
        let low2 = FilterFixture.copy(["PROBE_FLAGS=SF_NOTIFY_LOG|SF_NOTIFY_ORDER_LOW"])
        let medium = FilterFixture.copy(["PROBE_FLAGS=SF_NOTIFY_SEND_RESPONSE|SF_NOTIFY_ORDER_MEDIUM"])
        let siteHigh = FilterFixture.copy(["PROBE_FLAGS=SF_NOTIFY_URL_MAP|SF_NOTIFY_ORDER_HIGH"])
        let filters = set([low1, high, low2, medium], sites: [3: [siteHigh]])
        #expect(filters.global.filters.map(\.path) == [high, medium, low1, low2])
        #expect(filters.list(forSite: 3).filters.map(\.path) == [high, medium, low1, low2, siteHigh])
        #expect(filters.list(forSite: 5).filters.map(\.path) == [high, medium, low1, low2])
        #expect(filters.global.wants(.log) && filters.global.wants(.sendResponse) && !filters.global.wants(.urlMap))
        #expect(filters.list(forSite: 3).wants(.urlMap))
        filters.retire(keeping: nil, logger: logger)
    }

    @Test("Reload: a kept filter is not reinitialised; a dropped one gets TerminateFilter")
    func reload() throws {
        let kept = FilterFixture.copy()
        let dropped = FilterFixture.copy()
        let first = set([kept, dropped])
        let second = set([kept], previous: first)
        first.retire(keeping: second, logger: logger)
        #expect(fixtureLog(kept) == ["attach", "version server=0x20000"])
        #expect(fixtureLog(dropped).suffix(2) == ["terminate 0", "detach"])
        second.retire(keeping: nil, logger: logger)
        #expect(fixtureLog(kept).suffix(2) == ["terminate 0", "detach"])
    }

    @Test("PREPROC_HEADERS: GetHeader with the special names, SetHeader/AddHeader, the context's callbacks")
    func preprocHeaders() throws {
        let path = FilterFixture.copy()
        let filters = set([path])
        defer { filters.retire(keeping: nil, logger: logger) }
        let session = FilterSession(isSecure: false, logger: logger)
        let host = FakeFilterHost(headers: ["url": "/original", "method": "GET", "host": "example.org"])
        #expect(session.preprocHeaders(list: filters.global, host: host) == .proceed)
        #expect(host.headers["url"] == "/rewritten")
        #expect(host.headers["x-probe"] == "1")
        let log = fixtureLog(path).dropFirst(2)
        #expect(
            Array(log) == [
                "notify 0x4000 secure=0 calls=1",
                "header url=/original", "header method=GET", "header Host:=example.org",
                "header X-Absent: missing (\(ERROR_INVALID_INDEX))",
                "REMOTE_ADDR=192.0.2.7", "small buffer: 0 \(ERROR_INSUFFICIENT_BUFFER) needed=10",
                "connid nonzero=1", "unsupported: 0 \(ERROR_INVALID_PARAMETER)", "certificate: 0",
                "normalized /a/cA",
            ])
        let output = session.takeOutput()
        #expect(output.addedHeaders.map { "\($0.name)=\($0.value)" } == ["X-Added=yes"])
    }

    @Test("pFilterContext lives as long as the connection; END_OF_NET_SESSION at close; secure port flag")
    func filterContext() throws {
        let path = FilterFixture.copy()
        let filters = set([path])
        defer { filters.retire(keeping: nil, logger: logger) }
        let session = FilterSession(isSecure: true, logger: logger)
        let host = FakeFilterHost()
        var status = 200
        _ = session.sendResponse(status: &status, list: filters.global, host: host)
        session.endOfRequest(list: filters.global, host: host)
        _ = session.sendResponse(status: &status, list: filters.global, host: host)
        session.close(list: filters.global)
        let notes = fixtureLog(path).filter { $0.hasPrefix("notify") }
        #expect(
            notes == [
                "notify 0x40 secure=1 calls=1", "notify 0x80 secure=1 calls=2",
                "notify 0x40 secure=1 calls=3", "notify 0x100 secure=1 calls=4",
            ])
        #expect(host.headers["x-seen"] == "probe")
        // A new connection starts a new context.
        let other = FilterSession(isSecure: false, logger: logger)
        _ = other.sendResponse(status: &status, list: filters.global, host: host)
        #expect(fixtureLog(path).last { $0.hasPrefix("notify") } == "notify 0x40 secure=0 calls=1")
    }

    @Test("URL_MAP, AUTHENTICATION, LOG and SEND_RAW_DATA structures are read back")
    func structures() throws {
        let path = FilterFixture.copy()
        let filters = set([path])
        defer { filters.retire(keeping: nil, logger: logger) }
        let session = FilterSession(isSecure: false, logger: logger)
        let host = FakeFilterHost()
        var physical = "/srv/www/index.html"
        _ = session.urlMap(
            url: "/index.html", physicalPath: &physical, scriptMapEntry: nil, list: filters.global,
            host: host)
        #expect(physical == "/srv/mapped.txt")
        var user = "bob"
        var password = "secret"
        _ = session.authentication(user: &user, password: &password, list: filters.global, host: host)
        #expect(user == "alice" && password == "secret")
        var fields = FilterLogFields(
            clientHostName: "192.0.2.7", clientUserName: "", serverName: "example.org",
            operation: "GET", target: "/x", parameters: "", httpStatus: 200,
            bytesSent: 10, bytesReceived: 0, milliseconds: 1)
        _ = session.log(&fields, list: filters.global, host: host)
        #expect(fields.clientHostName == "0.0.0.0" && fields.httpStatus == 299 && fields.target == "/x")
        var bytes = Array("hello".utf8)
        _ = session.rawData(&bytes, sending: true, list: filters.global, host: host)
        #expect(bytes == Array("HELLO".utf8))
        #expect(fixtureLog(path).contains("map /index.html -> /srv/www/index.html (4096)"))
        #expect(fixtureLog(path).contains("user 'bob' password 'secret' (257)"))
        #expect(fixtureLog(path).contains("log GET /x 192.0.2.7 200"))
    }

    @Test("ACCESS_DENIED: the filter's own answer (SEND_RESPONSE_HEADER, WriteClient) and FINISHED")
    func accessDenied() throws {
        let path = FilterFixture.copy()
        let filters = set([path])
        defer { filters.retire(keeping: nil, logger: logger) }
        let session = FilterSession(isSecure: false, logger: logger)
        let outcome = session.accessDenied(
            url: "/secret", physicalPath: "/srv/secret", reason: UInt32(SF_DENIED_LOGON),
            list: filters.global, host: FakeFilterHost())
        #expect(outcome == .finished(keepConnection: false))
        let output = session.takeOutput()
        #expect(output.sentResponseHead)
        #expect(String(decoding: output.output, as: UTF8.self) == "HTTP/1.1 401 Go Away\r\nX-Why: probe\r\n\r\nnope")
    }

    @Test("Return codes: HANDLED stops the chain, ERROR and unknown codes are errors, FINISHED_KEEP_CONN keeps")
    func returnCodes() throws {
        let handled = FilterFixture.copy([
            "PROBE_FLAGS=SF_NOTIFY_LOG|SF_NOTIFY_ORDER_HIGH",
            "PROBE_RETURN=SF_STATUS_REQ_HANDLED_NOTIFICATION",
        ])
        let after = FilterFixture.copy(["PROBE_FLAGS=SF_NOTIFY_LOG"])
        let filters = set([after, handled])
        defer { filters.retire(keeping: nil, logger: logger) }
        let session = FilterSession(isSecure: false, logger: logger)
        var fields = FilterLogFields(
            clientHostName: "a", clientUserName: "", serverName: "s", operation: "GET",
            target: "/", parameters: "", httpStatus: 200, bytesSent: 0, bytesReceived: 0,
            milliseconds: 0)
        #expect(session.log(&fields, list: filters.global, host: FakeFilterHost()) == .proceed)
        #expect(fixtureLog(handled).contains { $0.hasPrefix("notify") })
        #expect(!fixtureLog(after).contains { $0.hasPrefix("notify") })

        for (code, expected) in [
            ("SF_STATUS_REQ_ERROR", FilterOutcome.error(lastError: 0)), ("12345", .error(lastError: 0)),
            ("SF_STATUS_REQ_FINISHED_KEEP_CONN", .finished(keepConnection: true)),
        ] {
            let path = FilterFixture.copy(["PROBE_FLAGS=SF_NOTIFY_LOG", "PROBE_RETURN=\(code)"])
            let one = set([path])
            #expect(session.log(&fields, list: one.global, host: FakeFilterHost()) == expected)
            one.retire(keeping: nil, logger: logger)
        }
    }

    func logFields() -> FilterLogFields {
        FilterLogFields(
            clientHostName: "a", clientUserName: "", serverName: "s", operation: "GET", target: "/",
            parameters: "", httpStatus: 200, bytesSent: 0, bytesReceived: 0, milliseconds: 0)
    }

    @Test("SF_REQ_DISABLE_NOTIFICATIONS lasts until the end of the request")
    func disable() throws {
        let path = FilterFixture.copy(["PROBE_FLAGS=SF_NOTIFY_LOG|SF_NOTIFY_END_OF_REQUEST", "PROBE_DISABLE"])
        let filters = set([path])
        defer { filters.retire(keeping: nil, logger: logger) }
        let session = FilterSession(isSecure: false, logger: logger)
        var fields = logFields()
        _ = session.log(&fields, list: filters.global, host: FakeFilterHost())
        _ = session.log(&fields, list: filters.global, host: FakeFilterHost())
        #expect(fixtureLog(path).filter { $0.hasPrefix("notify 0x200") }.count == 1)
        session.endOfRequest(list: filters.global, host: FakeFilterHost())
        _ = session.log(&fields, list: filters.global, host: FakeFilterHost())
        #expect(fixtureLog(path).filter { $0.hasPrefix("notify 0x200") }.count == 2)
    }

    @Test("AllocMem abuse: past the connection's limit NULL with ERROR_NOT_ENOUGH_MEMORY; freed at close")
    func allocationLimit() throws {
        let path = FilterFixture.copy(["PROBE_FLAGS=SF_NOTIFY_LOG", "PROBE_ALLOC_ABUSE"])
        let filters = set([path])
        defer { filters.retire(keeping: nil, logger: logger) }
        let session = FilterSession(isSecure: false, logger: logger)
        var fields = logFields()
        _ = session.log(&fields, list: filters.global, host: FakeFilterHost())
        // 4 bytes for the probe's counter, then 15 whole MiB fit under 16 MiB.
        #expect(fixtureLog(path).contains("alloc granted 15 last error \(ERROR_NOT_ENOUGH_MEMORY)"))
        session.close(list: filters.global)
        // A new connection has the whole allowance again.
        let next = FilterSession(isSecure: false, logger: logger)
        _ = next.log(&fields, list: filters.global, host: FakeFilterHost())
        #expect(fixtureLog(path).filter { $0 == "alloc granted 15 last error \(ERROR_NOT_ENOUGH_MEMORY)" }.count == 2)
    }

    @Test("A context address the host did not hand out is refused with ERROR_INVALID_PARAMETER")
    func forgedContext() throws {
        var forged = HTTP_FILTER_CONTEXT()
        var size: DWORD = 16
        var buffer = [CChar](repeating: 0, count: 16)
        let refused = withUnsafeMutablePointer(to: &forged) { pfc in
            FilterCallbacks.getServerVariable(pfc, strdup("REMOTE_ADDR"), &buffer, &size)
        }
        #expect(refused == 0 && GetLastError() == DWORD(ERROR_INVALID_PARAMETER))
        let block = withUnsafeMutablePointer(to: &forged) { FilterCallbacks.allocMem($0, 16, 0) }
        #expect(block == nil && GetLastError() == DWORD(ERROR_INVALID_PARAMETER))
    }
}
