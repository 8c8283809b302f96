// swift-tools-version: 6.2
import PackageDescription

/// Upcoming features we opt into everywhere: explicit `any`, imports that say what they leak.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "bubble-timer-server",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "bubble-timer", targets: ["BubbleTimer"]),
        .executable(name: "bubble-replay", targets: ["Replay"]),
        .executable(name: "bubble-inspect", targets: ["Inspector"]),
        .executable(name: "bubble-bench", targets: ["Benchmarks"]),
        .executable(name: "bubble-load", targets: ["LoadGen"]),
        .library(name: "BubbleCore", targets: ["BubbleCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // SHA-256 for the log's hash chain (BoringSSL, SHA-NI where the CPU has it); jwt-kit needs it too.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        // NIOHTTPTypes: the HTTP parts hummingbird's channels carry (our upgrade channel).
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.20.0"),
        // Push providers (FCM HTTP v1, Expo, the operator's webhook).
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // HTTPS and WSS on the server's own port (--tls-cert/--tls-key).
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        // Percentiles in the load generator.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        // Cluster mode: the shared log of record in PostgreSQL (issue 16).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        // Debian's liblmdb-dev; the only C we link.
        .systemLibrary(
            name: "CLMDB",
            path: "Sources/CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        // The one thin, safe wrapper: the only code that touches LMDB's C pointers.
        .target(name: "LMDB", dependencies: ["CLMDB"], swiftSettings: strictSettings),
        // The log of record in PostgreSQL for cluster nodes: the only code that touches
        // PostgresNIO (the twin of LMDB for the shared log).
        .target(
            name: "PostgresLog",
            dependencies: [
                "EventLog", "TimerDomain", "LMDB", "BubbleCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Pure domain: commands, decide, events, evolve. No I/O imports.
        .target(name: "TimerDomain", swiftSettings: strictSettings),
        // The append-only log: record format, checksums, hash chain, key layout.
        .target(
            name: "EventLog",
            dependencies: ["LMDB", "TimerDomain", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        // Read models folded from the log, and the pure fan-out projector.
        .target(
            name: "Projections",
            dependencies: ["TimerDomain", "EventLog", "LMDB"],
            path: "Projections",
            swiftSettings: strictSettings
        ),
        // The data path: command → decide → append → project, with group commit; replay; queries.
        .target(
            name: "BubbleCore",
            // Crypto: each user's personal fields are sealed under a key of their own.
            dependencies: ["LMDB", "TimerDomain", "EventLog", "Projections", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        // The socket layer: the only code that touches NIO channels and pipelines (the twin of
        // LMDB at the other end of the data path). Bytes, frames and close codes; no timers.
        .target(
            name: "Sockets",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                // Push providers (FCM HTTP v1, Expo, the operator's webhook).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSettings
        ),
        // The real-time server: frames and requests → commands; committed events → frames.
        .target(
            name: "BubbleServer",
            dependencies: [
                "BubbleCore", "TimerDomain", "EventLog", "Projections", "LMDB", "Sockets",
                // Cluster mode: the shared log in PostgreSQL.
                "PostgresLog",
                // Events as the inspector renders them (the export's event records).
                "ToolSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "BubbleTimer",
            dependencies: [
                "BubbleCore", "BubbleServer", "ToolSupport", "Sockets", "PostgresLog", "EventLog",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ToolSupport",
            dependencies: ["BubbleCore"],
            path: "Tools/ToolSupport",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "Replay",
            dependencies: ["BubbleCore", "EventLog", "ToolSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tools/Replay",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "Inspector",
            dependencies: ["BubbleCore", "ToolSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tools/Inspector",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "Benchmarks",
            dependencies: ["BubbleCore", "LMDB", "EventLog", "TimerDomain", "Projections", "ToolSupport", "PostgresLog", .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log")],
            path: "Tools/Benchmarks",
            swiftSettings: strictSettings
        ),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .executableTarget(
            name: "LoadGen",
            dependencies: [
                "BubbleServer", "BubbleCore", "Projections", "TimerDomain", "EventLog", "ToolSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Tools/LoadGen",
            swiftSettings: strictSettings
        ),
        .testTarget(name: "LMDBTests", dependencies: ["LMDB", "TestSupport"]),
        .testTarget(
            name: "SocketsTests",
            dependencies: [
                "Sockets",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "TimerDomainTests", dependencies: ["TimerDomain"]),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog", "LMDB", "TimerDomain", "TestSupport"]),
        .testTarget(name: "ProjectionsTests", dependencies: ["Projections", "TimerDomain", "EventLog"]),
        .testTarget(name: "BubbleCoreTests", dependencies: ["BubbleCore", "Projections", "TimerDomain", "EventLog", "LMDB", "TestSupport"]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "BubbleServer", "BubbleCore", "BubbleTimer", "TimerDomain", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "PostgresLogTests",
            dependencies: [
                "PostgresLog", "BubbleCore", "EventLog", "LMDB", "TimerDomain", "TestSupport", "BubbleServer",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ToolsTests",
            dependencies: ["BubbleCore", "BubbleTimer", "Replay", "Inspector", "LoadGen", "TestSupport"]
        ),
    ]
)
