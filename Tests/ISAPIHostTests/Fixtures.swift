import Foundation
import Synchronization

/// The C fixtures of Fixtures/, compiled once per test process with the
/// system C compiler against Sources/CISAPI/include. Each test takes its own
/// copy (a new file, so a separate dlopen) whose log is "<copy>.log".
enum Fixture: String, CaseIterable {
    /// Exports DllMain, GetExtensionVersion, HttpExtensionProc, TerminateExtension; logs each call.
    case good
    /// good.c built with -fvisibility=hidden (and the SDK's export attribute off): exports nothing.
    case hidden
    /// No HttpExtensionProc.
    case noProc = "no_proc"
    /// GetExtensionVersion returns FALSE.
    case refuse

    private var source: String { self == .hidden ? "good.c" : "\(rawValue).c" }
    private var extraFlags: [String] { self == .hidden ? ["-fvisibility=hidden", "-DISAPI_SDK_EXPORT="] : [] }

    static let repositoryRoot: URL = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory
            }
            directory.deleteLastPathComponent()
        }
        fatalError("no Package.swift above \(#filePath)")
    }()

    static let workDirectory: URL = {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("isapihost-tests-\(getpid())-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }()

    /// Every fixture's compiled original, built on first use.
    private static let built: [Fixture: URL] = {
        let fixtures = repositoryRoot.appendingPathComponent("Tests/ISAPIHostTests/Fixtures")
        let include = repositoryRoot.appendingPathComponent("Sources/CISAPI/include")
        var result: [Fixture: URL] = [:]
        for fixture in Fixture.allCases {
            let output = workDirectory.appendingPathComponent("original-\(fixture.rawValue).dll")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["cc", "-shared", "-fPIC", "-Wall", "-I", include.path, "-I", fixtures.path]
                + fixture.extraFlags
                + [fixtures.appendingPathComponent(fixture.source).path, "-o", output.path]
            try! process.run()
            process.waitUntilExit()
            precondition(process.terminationStatus == 0, "cc failed for \(fixture.source)")
            result[fixture] = output
        }
        return result
    }()

    private static let copies = Atomic<Int>(0)

    /// A fresh copy of the fixture: its absolute path.
    func copy() -> String {
        let number = Self.copies.wrappingAdd(1, ordering: .relaxed).newValue
        let destination = Self.workDirectory.appendingPathComponent("\(rawValue)-\(number).dll")
        try! FileManager.default.copyItem(at: Self.built[self]!, to: destination)
        return destination.path
    }
}

/// The lines a fixture copy at `path` has logged so far.
func fixtureLog(_ path: String) -> [String] {
    guard let text = try? String(contentsOfFile: path + ".log", encoding: .utf8) else { return [] }
    return text.split(separator: "\n").map(String.init)
}

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let now = Mutex<Double>(1000)
    func read() -> Double { now.withLock { $0 } }
    func advance(by seconds: Double) { now.withLock { $0 += seconds } }
}
