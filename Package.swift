// swift-tools-version:6.0
import PackageDescription

let sampleExtensions = [
    "hello", "echo", "servervars", "headers", "redirect", "logparam", "mapurl", "unsupported", "async", "skeleton",
    "template", "certinfo",
]

// The sample ISAPI filters (filters/<name>): C against httpfilt.h only, like the extensions.
let sampleFilters = ["addheader", "basicauth", "urlrewrite", "logscrub", "linkfix"]

// The modules on the request path skip the run-time exclusivity checks in release builds
// (each class property access cost a call and a thread-local lookup, ~5 % of a request);
// debug builds, which the tests run, keep them.
let requestPathSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "isapid",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "isapid", targets: ["isapid"]),
        // The bare SwiftNIO server bench/run.py measures beside isapid (issue 14's floor); not installed.
        .executable(name: "bench-nio-floor", targets: ["BenchFloor"]),
    ] + (sampleExtensions + sampleFilters).map { .library(name: $0, type: .dynamic, targets: [$0]) },
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        // Already built for swift-certificates; RequestPipeline hashes a client certificate
        // for IIS's CERT_COOKIE with it.
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        // server-status and /metrics (Sources/Observability).
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // The only C boundary to PCRE2 (libpcre2-8, from Debian's libpcre2-dev).
        .systemLibrary(
            name: "CPCRE2",
            path: "Sources/CPCRE2",
            pkgConfig: "libpcre2-8",
            providers: [.apt(["libpcre2-dev"])]
        ),
        .target(name: "PCRE2Regex", dependencies: ["CPCRE2"]),
        // The crash board: shared memory in which the serving child notes which extension
        // call each thread is in, so the supervising parent can name the one that crashed.
        .target(name: "CCrashBoard", path: "Sources/CCrashBoard"),
        .target(name: "CrashBoard", dependencies: ["CCrashBoard"]),
        // The figures server-status and /metrics show: what must survive a child crash in
        // the crash board's shared region, the rest per child; and their two renderers.
        .target(
            name: "Observability",
            dependencies: [
                "CrashBoard",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: requestPathSettings
        ),
        // Asks swift-nio-ssl's BoringSSL whether it accepts an SSLCipherSuite string
        // (swift-nio-ssl traps on one it refuses); used by HTTPDaemon/TLS only.
        .target(name: "CTLSCipherCheck", path: "Sources/CTLSCipherCheck"),
        // The ISAPI SDK: httpext.h/httpfilt.h (what extensions compile against)
        // and GetLastError/SetLastError, and WriteClient's fast path (writebuffer.c).
        .target(
            name: "CISAPI",
            path: "Sources/CISAPI",
            // Leaf functions keep no frame pointer (every other function still does):
            // WriteClient's fast path is one, and its push/mov/pop were 3 of a one-byte
            // write's ~33 instructions, paid 20,000 times by a PHP page written byte by byte.
            cSettings: [.unsafeFlags(["-momit-leaf-frame-pointer"])]
        ),
        // Loads, caches and unloads ISAPI extensions (the only user of CISAPI and dlopen).
        .target(
            name: "ISAPIHost",
            dependencies: ["CISAPI", .product(name: "Logging", package: "swift-log")],
            swiftSettings: requestPathSettings
        ),
        // Rewrite rules: the httpd.ini (ISAPI_Rewrite 2) and mod_rewrite dialects, one rule
        // model, one evaluator; pure Swift over PCRE2Regex.
        .target(name: "RewriteEngine", dependencies: ["PCRE2Regex"], swiftSettings: requestPathSettings),
        .target(
            name: "ServerConfig",
            dependencies: ["PCRE2Regex", "RewriteEngine"],
            swiftSettings: requestPathSettings
        ),
        .target(
            name: "RequestPipeline",
            dependencies: [
                "ServerConfig",
                "RewriteEngine",
                "ISAPIHost",
                "CrashBoard",
                "Observability",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: requestPathSettings
        ),
        .target(
            name: "HTTPDaemon",
            dependencies: [
                "RequestPipeline",
                "ServerConfig",
                "CrashBoard",
                "Observability",
                "RewriteEngine",
                "CTLSCipherCheck",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: requestPathSettings
        ),
        .executableTarget(
            name: "isapid",
            dependencies: [
                "HTTPDaemon",
                "ServerConfig",
                "RequestPipeline",
                "RewriteEngine",
                "CISAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // An executable exports nothing by default: extensions built with only the SDK
            // header must find the host's GetLastError/SetLastError when they are dlopen'd.
            linkerSettings: [
                .unsafeFlags([
                    "-Xlinker", "--export-dynamic-symbol=GetLastError",
                    "-Xlinker", "--export-dynamic-symbol=SetLastError",
                ])
            ]
        ),
        .executableTarget(
            name: "BenchFloor",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "PCRE2RegexTests", dependencies: ["PCRE2Regex"]),
        .testTarget(name: "CrashBoardTests", dependencies: ["CrashBoard"]),
        .testTarget(name: "ObservabilityTests", dependencies: ["Observability"]),
        .testTarget(name: "CISAPITests", dependencies: ["CISAPI"], exclude: ["Fixtures"]),
        .testTarget(
            name: "ISAPIHostTests",
            dependencies: ["ISAPIHost", "CISAPI", .product(name: "Logging", package: "swift-log")],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "RewriteEngineTests", dependencies: ["RewriteEngine", "PCRE2Regex"], exclude: ["Golden"]),
        .testTarget(name: "ServerConfigTests", dependencies: ["ServerConfig"]),
        .testTarget(name: "RequestPipelineTests", dependencies: ["RequestPipeline", "ServerConfig"]),
        .testTarget(
            name: "HTTPDaemonTests",
            dependencies: [
                "HTTPDaemon",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(name: "EndToEndTests", dependencies: ["isapid"]),
    ],
    swiftLanguageModes: [.v6]
)

// The sample extensions: C, built against the SDK header only (never linked with CISAPI,
// so GetLastError/SetLastError resolve to the host's at dlopen), each lib<name>.so that
// `make` installs as htdocs/scripts/<name>.dll.
package.targets += sampleExtensions.map { name in
    .target(
        name: name, path: "extensions/\(name)", publicHeadersPath: ".",
        cSettings: [.headerSearchPath("../../Sources/CISAPI/include")])
}

package.targets += sampleFilters.map { name in
    .target(
        name: name, path: "filters/\(name)", publicHeadersPath: ".",
        cSettings: [.headerSearchPath("../../Sources/CISAPI/include")])
}
