import ArgumentParser
import BatCatCore
import Foundation
import Logging

/// Flags every command takes: logging and configuration.
struct GlobalOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Log debug messages too.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "Log warnings and errors only.")
    var quiet = false

    @Option(name: .customLong("log-file"), help: ArgumentHelp("Also append log lines to this file.", valueName: "path"))
    var logFile: String?

    @Option(name: .customLong("log-format"), help: "Log line format: human or json.")
    var logFormat: LogFormat?

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp("Override a configuration value, e.g. --set log.level=debug. Repeatable.", valueName: "key=value"))
    var overrides: [String] = []

    @Option(
        name: .customLong("project"),
        help: ArgumentHelp(
            "The project folder whose config.json is read (default: the nearest folder above the current one that has a config.json or config.yaml).",
            valueName: "dir"))
    var projectOption: String?

    @Option(
        name: .customLong("registry"),
        help: ArgumentHelp(
            "The model registry: a SQLite file (path or sqlite:///path); overrides BATCAT_REGISTRY and registry.path.",
            valueName: "url"))
    var registry: String?

    /// The project folder: `--project`, else the nearest folder at or above the current one holding a config file,
    /// else the current folder.
    var projectDirectory: String { projectOption ?? GlobalOptions.enclosingProject() ?? "." }

    /// The nearest folder at or above the current one with `config.json`, `config.yaml` or `config.yml`, as git finds
    /// its repository.
    static func enclosingProject(from start: String = FileManager.default.currentDirectoryPath) -> String? {
        var folder = URL(fileURLWithPath: start).standardizedFileURL
        while true {
            for name in ["config.json", "config.yaml", "config.yml"]
            where FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path) {
                return folder.path == FileManager.default.currentDirectoryPath ? "." : folder.path
            }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { return nil }
            folder = parent
        }
    }

    /// Where the registry is: `--registry`, else `BATCAT_REGISTRY`, else the project's `registry.path` setting.
    func registryLocation(_ settings: Settings) throws -> RegistryLocation {
        let environment = ProcessInfo.processInfo.environment["BATCAT_REGISTRY"].flatMap { $0.isEmpty ? nil : $0 }
        let given = registry.map { ($0, "--registry") } ?? environment.map { ($0, "BATCAT_REGISTRY") }
        return try RegistryLocation(settings: settings, projectDirectory: projectDirectory, given: given)
    }

    func validate() throws {
        if verbose && quiet {
            throw ValidationError("-v and -q contradict each other; pass one of them.")
        }
    }

    /// Built-in defaults, the lowest layer of configuration.
    static let defaults: [String: String] = [
        "log.level": LogLevel.info.rawValue,
        "log.format": LogFormat.human.rawValue,
    ]

    /// The command-line layer: `--set` pairs, then the logging flags, which win over `--set`.
    func commandLineOverrides() throws(CoreError) -> [Settings.Override] {
        var result: [Settings.Override] = []
        for pair in overrides { result.append(try Settings.Override(parsing: pair)) }
        if verbose { result.append(.init(key: "log.level", value: LogLevel.debug.rawValue, origin: "-v")) }
        if quiet { result.append(.init(key: "log.level", value: LogLevel.warning.rawValue, origin: "-q")) }
        if let logFile { result.append(.init(key: "log.file", value: logFile, origin: "--log-file")) }
        if let logFormat { result.append(.init(key: "log.format", value: logFormat.rawValue, origin: "--log-format")) }
        return result
    }

    /// The effective configuration of the project folder.
    func settings() throws(CoreError) -> Settings {
        try Settings.load(directory: projectDirectory, overrides: commandLineOverrides(), defaults: GlobalOptions.defaults)
    }

    /// Sets logging up from `settings` and returns a logger with `label`.
    func bootstrapLogging(_ settings: Settings, label: String) throws(CoreError) -> Logger {
        let level = try settings.enumValue("log.level", LogLevel.self)
        let format = try settings.enumValue("log.format", LogFormat.self)
        var file = try settings.string("log.file")
        if let path = file, !path.hasPrefix("/") {
            file = (projectDirectory as NSString).appendingPathComponent(path)
        }
        try LogRouter.bootstrap(LogOptions(level: level ?? .info, format: format ?? .human, filePath: file))
        return Logger(label: label)
    }

    /// Sets logging up from the resolved configuration: the enclosing project's config files (when there is a
    /// project), the environment and the flags, as every command reads them.
    func bootstrapLoggingFromConfiguration(label: String) throws(CoreError) -> Logger {
        try bootstrapLogging(try settings(), label: label)
    }
}

extension LogFormat: ExpressibleByArgument {}

extension Settings {
    /// The value at `key` as one of an enumeration's cases, with an error listing the allowed ones.
    func enumValue<Value: RawRepresentable & CaseIterable>(_ key: String, _ type: Value.Type) throws(CoreError) -> Value?
    where Value.RawValue == String {
        guard let text = try string(key) else { return nil }
        guard let value = Value(rawValue: text.lowercased()) else {
            let allowed = Value.allCases.map(\.rawValue).joined(separator: ", ")
            let origin = winningEntry(for: key)?.origin ?? "configuration"
            throw CoreError(
                .configWrongType,
                "configuration key '\(key)' (from \(origin)) must be one of \(allowed), but it is \(JSONText.quoted(text))",
                hints: ["change the value in \(origin)"])
        }
        return value
    }

    /// These settings with a command-line layer on top.
    func adding(_ overrides: [Settings.Override]) -> Settings {
        Settings(layers: layers + [.commandLine(overrides)])
    }
}
