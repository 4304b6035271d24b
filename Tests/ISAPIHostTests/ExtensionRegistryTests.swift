import Dispatch
import Foundation
import ISAPIHost
import Logging
import Synchronization
import Testing

// ExtensionRegistry: per-request vs cached loading, shared loads, remembered
// failures and their retry, reload, shutdown, and concurrency (spec §2.2, §4).

/// Keeps every message logged at error level.
final class ErrorCollector: Sendable {
    private let messages = Mutex<[String]>([])
    var all: [String] { messages.withLock { $0 } }

    var logger: Logger {
        Logger(label: "isapihost-test") { _ in Handler(collector: self) }
    }

    struct Handler: LogHandler {
        let collector: ErrorCollector
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            if event.level >= .error { collector.messages.withLock { $0.append("\(event.message)") } }
        }
    }
}

private let oneCycle = ["attach", "version", "terminate 2", "detach"]

@Suite("ExtensionRegistry")
struct ExtensionRegistryTests {

    @Test("An uncached extension is loaded for its request and unloaded after it")
    func perRequest() throws {
        let path = Fixture.good.copy()
        let registry = ExtensionRegistry(cachedPaths: [], logger: ErrorCollector().logger)
        #expect(fixtureLog(path).isEmpty)
        let lease = try registry.acquire(path)
        #expect(fixtureLog(path) == ["attach", "version"])
        #expect(registry.loadedPaths == [path])
        lease.release()
        #expect(fixtureLog(path) == oneCycle)
        #expect(registry.loadedPaths.isEmpty)
        lease.release()  // harmless
        try registry.acquire(path).release()
        #expect(fixtureLog(path) == oneCycle + oneCycle)
    }

    @Test("Overlapping requests share one load; the last to leave unloads")
    func overlapping() throws {
        let path = Fixture.good.copy()
        let registry = ExtensionRegistry(cachedPaths: [], logger: ErrorCollector().logger)
        let first = try registry.acquire(path)
        let second = try registry.acquire(path)
        #expect(first.library === second.library)
        #expect(fixtureLog(path) == ["attach", "version"])
        first.release()
        #expect(fixtureLog(path) == ["attach", "version"])
        second.release()
        #expect(fixtureLog(path) == oneCycle)
    }

    @Test("After a reload, loads are logged to the new configuration's error log")
    func reloadChangesTheLogger() throws {
        let before = ErrorCollector()
        let after = ErrorCollector()
        let registry = ExtensionRegistry(cachedPaths: [], logger: before.logger)
        let missing = NSTemporaryDirectory() + "isapid-no-such-\(UUID().uuidString).dll"
        registry.update(cachedPaths: [missing], logger: after.logger)
        #expect(before.all.isEmpty)
        #expect(after.all.contains { $0.contains(missing) })
    }

    @Test("A lease dropped without release() releases itself")
    func leaseDeinit() throws {
        let path = Fixture.good.copy()
        let registry = ExtensionRegistry(cachedPaths: [], logger: ErrorCollector().logger)
        do { _ = try registry.acquire(path) }
        #expect(fixtureLog(path) == oneCycle)
    }

    @Test("Cached paths load at start and stay across requests until dropped or shutdown")
    func cached() throws {
        let kept = Fixture.good.copy()
        let dropped = Fixture.good.copy()
        let registry = ExtensionRegistry(cachedPaths: [kept, dropped], logger: ErrorCollector().logger)
        #expect(fixtureLog(kept) == ["attach", "version"])
        #expect(registry.loadedPaths == [kept, dropped].sorted())
        for _ in 0..<3 { try registry.acquire(kept).release() }
        #expect(fixtureLog(kept) == ["attach", "version"])

        let added = Fixture.good.copy()
        registry.updateCachedPaths([kept, added])
        #expect(fixtureLog(dropped) == oneCycle)
        #expect(fixtureLog(added) == ["attach", "version"])
        #expect(registry.loadedPaths == [kept, added].sorted())

        registry.shutdown()
        #expect(fixtureLog(kept) == oneCycle)
        #expect(fixtureLog(added) == oneCycle)
        #expect(registry.loadedPaths.isEmpty)
        let error = #expect(throws: ModuleLoadError.self) { try registry.acquire(kept) }
        #expect(error?.kind == .shutDown)
    }

    @Test("A cached path dropped by a reload while in use unloads when the request leaves")
    func droppedWhileInUse() throws {
        let path = Fixture.good.copy()
        let registry = ExtensionRegistry(cachedPaths: [path], logger: ErrorCollector().logger)
        let lease = try registry.acquire(path)
        registry.updateCachedPaths([])
        #expect(fixtureLog(path) == ["attach", "version"])
        lease.release()
        #expect(fixtureLog(path) == oneCycle)
    }

    @Test("Shutdown waits for the last lease, then unloads")
    func shutdownWaits() throws {
        let path = Fixture.good.copy()
        let registry = ExtensionRegistry(cachedPaths: [path], logger: ErrorCollector().logger)
        let lease = try registry.acquire(path)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            registry.shutdown()
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 0.2) == .timedOut)
        #expect(fixtureLog(path) == ["attach", "version"])
        lease.release()
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(fixtureLog(path) == oneCycle)
    }

    @Test("A failed load is remembered for 30 s without retrying, then retried")
    func failureRemembered() throws {
        let path = Fixture.refuse.copy()
        let clock = ManualClock()
        let errors = ErrorCollector()
        let registry = ExtensionRegistry(cachedPaths: [], logger: errors.logger, clock: { clock.read() })
        let first = #expect(throws: ModuleLoadError.self) { try registry.acquire(path) }
        #expect(first?.kind == .versionRefused(lastError: 0))
        #expect(fixtureLog(path) == ["attach", "version", "detach"])
        // A request's failure is the caller's to log (once, with the client): not here.
        #expect(errors.all.isEmpty)

        clock.advance(by: 29.9)
        let remembered = #expect(throws: ModuleLoadError.self) { try registry.acquire(path) }
        #expect(remembered == first)
        #expect(fixtureLog(path) == ["attach", "version", "detach"])

        clock.advance(by: 0.2)
        #expect(throws: ModuleLoadError.self) { try registry.acquire(path) }
        #expect(fixtureLog(path) == ["attach", "version", "detach", "attach", "version", "detach"])
        #expect(errors.all.isEmpty)
    }

    @Test("A cached path that fails at start does not stop the registry; it is retried after 30 s")
    func cachedFailure() throws {
        let bad = Fixture.noProc.copy()
        let good = Fixture.good.copy()
        let clock = ManualClock()
        let errors = ErrorCollector()
        let registry = ExtensionRegistry(cachedPaths: [bad, good], logger: errors.logger, clock: { clock.read() })
        #expect(registry.loadedPaths == [good])
        #expect(errors.all.count == 1)
        #expect(errors.all.first?.contains(bad) == true)
        #expect(throws: ModuleLoadError.self) { try registry.acquire(bad) }
        #expect(errors.all.count == 1)  // remembered, not retried
        clock.advance(by: 30)
        #expect(throws: ModuleLoadError.self) { try registry.acquire(bad) }
        #expect(errors.all.count == 1)  // the retry was a request's: its caller logs it
        registry.updateCachedPaths([bad, good])  // a reload retries a failed cached path, logged here
        #expect(errors.all.count == 2)
        registry.shutdown()
    }

    @Test("Many threads acquiring and releasing: every load is unloaded exactly once, in order")
    func concurrent() throws {
        let path = Fixture.good.copy()
        let registry = ExtensionRegistry(cachedPaths: [], logger: ErrorCollector().logger)
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 32) { _ in
            for _ in 0..<40 {
                do {
                    let lease = try registry.acquire(path)
                    if lease.library.isUnloaded { failures.add(1, ordering: .relaxed) }
                    lease.release()
                } catch {
                    failures.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        #expect(registry.loadedPaths.isEmpty)
        let log = fixtureLog(path)
        #expect(!log.isEmpty)
        #expect(log.count % oneCycle.count == 0)
        for start in stride(from: 0, to: log.count, by: oneCycle.count) {
            let cycle = Array(log[start..<min(start + oneCycle.count, log.count)])
            #expect(cycle == oneCycle, "at line \(start)")
            if cycle != oneCycle { break }
        }
    }

    @Test("Concurrent first requests for a cached-nowhere path wait for one load, not two")
    func concurrentFirstLoad() throws {
        let path = Fixture.good.copy()
        let registry = ExtensionRegistry(cachedPaths: [], logger: ErrorCollector().logger)
        let leases = Mutex<[ExtensionLease]>([])
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            if let lease = try? registry.acquire(path) { leases.withLock { $0.append(lease) } }
        }
        let held = leases.withLock { $0 }
        #expect(held.count == 16)
        #expect(fixtureLog(path) == ["attach", "version"])
        for lease in held { lease.release() }
        #expect(fixtureLog(path) == oneCycle)
    }
}
