// swift-tools-version: 6.2
import PackageDescription

/// One set of settings for every target: Swift 6 language mode plus the upcoming features we rely on.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "batcat",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "batcat", targets: ["batcat"]),
        .library(name: "BatCatData", targets: ["BatCatData"]),
        .library(name: "BatCatML", targets: ["BatCatML"]),
        .library(name: "BatCatCore", targets: ["BatCatCore"]),
        .library(name: "BatCatDeploy", targets: ["BatCatDeploy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // C: the CSV reader's loops that need instructions beyond the baseline, chosen at run time (PlainRecords.c),
        // and the writer's number spelling (ShortestDecimal.c).
        .target(name: "BatCatSIMD", exclude: ["make-powers-of-ten.py"]),
        .target(name: "BatCatData", dependencies: ["BatCatSIMD"], swiftSettings: swiftSettings),
        .target(name: "BatCatML", dependencies: ["BatCatData"], swiftSettings: swiftSettings),
        .target(
            name: "BatCatCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BatCatStorage",
            dependencies: ["BatCatData", "BatCatCore"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BatCatRegistry",
            dependencies: [
                "BatCatML", "BatCatStorage", "BatCatCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BatCatServe",
            dependencies: [
                "BatCatRegistry", "BatCatML", "BatCatData", "BatCatCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BatCatBatch",
            dependencies: ["BatCatML", "BatCatData", "BatCatStorage", "BatCatCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BatCatWorkflow",
            dependencies: [
                "BatCatCore", "BatCatData", "BatCatML", "BatCatStorage", "BatCatRegistry", "BatCatServe", "BatCatBatch",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BatCatDeploy",
            dependencies: ["BatCatCore"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BatCatCLI",
            dependencies: [
                "BatCatCore",
                "BatCatData",
                "BatCatML",
                "BatCatStorage",
                "BatCatRegistry",
                "BatCatServe",
                "BatCatBatch",
                "BatCatDeploy",
                "BatCatWorkflow",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "batcat-bench",
            dependencies: ["BatCatData", "BatCatML"],
            path: "bench/swift",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "batcat",
            dependencies: [
                "BatCatCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "BatCatDataTests", dependencies: ["BatCatData"], swiftSettings: swiftSettings),
        .testTarget(name: "BatCatMLTests", dependencies: ["BatCatML", "BatCatData"], exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "BatCatStorageTests", dependencies: ["BatCatStorage", "BatCatData"], swiftSettings: swiftSettings),
        .testTarget(
            name: "BatCatBatchTests", dependencies: ["BatCatBatch", "BatCatCore", "BatCatML", "BatCatData", "BatCatStorage"], swiftSettings: swiftSettings),
        .testTarget(
            name: "BatCatRegistryTests", dependencies: ["BatCatRegistry", "BatCatStorage", "BatCatML", "BatCatData"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "BatCatWorkflowTests", dependencies: ["BatCatWorkflow", "BatCatRegistry", "BatCatStorage", "BatCatML", "BatCatData", "BatCatCore"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "BatCatServeTests",
            dependencies: [
                "BatCatServe", "BatCatRegistry", "BatCatML", "BatCatData", "BatCatStorage",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "BatCatCoreTests",
            dependencies: [
                "BatCatCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BatCatDeployTests",
            dependencies: ["BatCatDeploy"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BatCatCLITests",
            dependencies: [
                "batcat", "BatCatCLI", "BatCatCore", "BatCatML",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
