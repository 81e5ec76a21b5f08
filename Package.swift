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
    ],
    targets: [
        .target(name: "BatCatData", swiftSettings: swiftSettings),
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
                "BatCatDeploy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
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
        .testTarget(name: "BatCatMLTests", dependencies: ["BatCatML", "BatCatData"], swiftSettings: swiftSettings),
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
            dependencies: ["batcat", "BatCatCore", "BatCatML"],
            swiftSettings: swiftSettings
        ),
    ]
)
