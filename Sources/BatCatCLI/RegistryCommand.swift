import ArgumentParser
import BatCatCore
import BatCatData
import BatCatRegistry
import BatCatStorage
import Foundation

/// Where the registry lives, from the configuration: `registry.path`, `registry.store`, `registry.requireApproval`.
struct RegistryLocation {
    /// The metadata's location as configured: a SQLite path, or a URL of a registered backend.
    var database: String
    var databasePath: String
    var store: String
    var requireApproval: Bool

    static let defaultDatabase = "model/registry.sqlite"
    static let defaultStore = "model/artifacts"

    /// The registry of the project in `projectDirectory`; `given` (a value and where it came from) overrides
    /// `registry.path`. A URL of a scheme this build cannot open is refused, naming the setting, before anything is
    /// made on disk.
    init(settings: Settings, projectDirectory: String, given: (value: String, origin: String)? = nil) throws {
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : (projectDirectory as NSString).appendingPathComponent(path)
        }
        func resolveLocation(_ location: String) -> String {
            ObjectStores.scheme(of: location) == nil && !location.hasPrefix("/") ? resolve(location) : location
        }
        let database = try given ?? settings.string("registry.path").map { ($0, settings.winningEntry(for: "registry.path")?.origin ?? "registry.path") }
        self.database = database?.0 ?? RegistryLocation.defaultDatabase
        databasePath = resolve(try RegistryLocation.sqlitePath(self.database, origin: database?.1 ?? "registry.path"))
        let storeSetting = try settings.string("registry.store") ?? RegistryLocation.defaultStore
        do {
            try ObjectStores.checkScheme(storeSetting)
            store = resolveLocation(storeSetting)
        } catch {
            throw CLIError(
                "registry.store (from \(settings.winningEntry(for: "registry.store")?.origin ?? "the configuration")) is '\(storeSetting)': \(error.message)",
                hints: error.hints)
        }
        requireApproval = try settings.bool("registry.requireApproval") ?? false
    }

    /// The file a registry location names: a plain path, `file:///path`, `sqlite:///abs/path` or `sqlite:relative/path`.
    static func sqlitePath(_ location: String, origin: String) throws -> String {
        if location.hasPrefix("sqlite://") { return String(location.dropFirst("sqlite://".count)) }
        if location.hasPrefix("sqlite:") { return String(location.dropFirst("sqlite:".count)) }
        if location.hasPrefix("file://") { return String(location.dropFirst("file://".count)) }
        // A URL (`scheme://…`, or `postgresql:…`) is never taken for a file name.
        if let url = location.firstMatch(of: /^([A-Za-z][A-Za-z0-9+.\-]*):(\/\/)?/), url.2 != nil || url.1.lowercased().hasPrefix("postgres") {
            if RegistryStores.registeredSchemes.contains(url.1.lowercased()) { return location }
            let scheme = String(url.1)
            throw CLIError(
                "the registry location from \(origin) is a '\(scheme)' URL (\(location)), which this version of BatCat cannot open",
                hints: [
                    "give a SQLite file: a path such as model/registry.sqlite, or sqlite:///absolute/path/registry.sqlite",
                    "a registry on PostgreSQL is not part of this version",
                ])
        }
        return location
    }

    /// The registry: metadata in a registered backend when the location is its URL, else in the SQLite file.
    func open() throws -> Registry {
        let artifacts = try ObjectStores.open(store)
        if let metadata = try RegistryStores.open(registered: database) {
            return Registry(metadata: metadata, store: artifacts, requireApproval: requireApproval)
        }
        return try Registry(databasePath: databasePath, store: artifacts, requireApproval: requireApproval)
    }
}

extension Stage: ExpressibleByArgument {}

/// Flags shared by the registry's verbs.
struct RegistryOptions: ParsableArguments {
    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @OptionGroup var global: GlobalOptions

    func open(label: String) throws -> Registry {
        let settings = try global.settings()
        _ = try global.bootstrapLogging(settings, label: label)
        return try global.registryLocation(settings).open()
    }

    /// Who is acting: `--by`, else `$USER`.
    static func actor(_ by: String?) -> String {
        by ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown"
    }

    func print(_ versions: [ModelVersion]) throws {
        switch format {
        case .json: Console.out(try JSONReport.encode(VersionsReport(versions: versions)))
        case .text:
            var rows = [["model", "version", "stage", "aliases", "approved by", "created", "digest"]]
            for v in versions {
                rows.append([
                    v.model, String(v.version), v.stage.rawValue, v.aliases.joined(separator: ","), v.approvedBy ?? "", v.createdAt,
                    String(v.digest.prefix(19)),
                ])
            }
            Console.out(TextTable.render(rows, rightAligned: [1]))
        }
    }
}

struct VersionsReport: Encodable {
    var version = 1
    var versions: [ModelVersion]
}

struct HistoryReport: Encodable {
    var version = 1
    var events: [RegistryEvent]
}

extension BatCat {
    /// `batcat registry`: versions, stages, approvals and aliases of models.
    struct RegistryCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "registry",
            abstract: "Register model versions and move them through staging, production and archive.",
            discussion: """
                The registry keeps its metadata in model/registry.sqlite and artifacts in model/artifacts \
                (set registry.path and registry.store to move them; registry.requireApproval: true makes \
                production need an approval). Every change is recorded in an append-only audit trail.

                Examples:
                  batcat registry register model/churn.json --model churn
                  batcat registry promote churn 3 --to production --by ana
                  batcat registry list churn
                  batcat registry rollback churn --comment "latency regression"
                """,
            subcommands: [Register.self, List.self, Show.self, Promote.self, Approve.self, Alias.self, History.self, Rollback.self]
        )

        struct Register: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "register", abstract: "Register an artifact as the next version of a model.")
            @Argument(help: "The artifact (JSON) that batcat train wrote.") var artifact: String
            @Option(help: "The model's name.") var model: String
            @Option(help: "Who registers it (default: $USER).") var by: String?
            @Option(help: "Why.") var comment: String?
            @OptionGroup var options: RegistryOptions

            func run() async throws {
                let registry = try options.open(label: "batcat.registry")
                guard let data = FileManager.default.contents(atPath: artifact) else {
                    throw CLIError("cannot read the artifact '\(artifact)'", hints: ["check the path"])
                }
                let version = try await registry.register(Array(data), model: model, by: RegistryOptions.actor(by), comment: comment)
                try options.print([version])
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List the versions of one model, or of all.")
            @Argument(help: "A model's name; all models when absent.") var model: String?
            @OptionGroup var options: RegistryOptions

            func run() async throws {
                try options.print(try await options.open(label: "batcat.registry").list(model))
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one version, with its metrics.")
            @Argument var model: String
            @Argument var version: Int
            @OptionGroup var options: RegistryOptions

            func run() async throws {
                let v = try await options.open(label: "batcat.registry").show(model, version: version)
                if options.format == .json { return try options.print([v]) }
                var text = "\(v.model) version \(v.version): \(v.stage.rawValue)\n"
                text += "digest      \(v.digest)\ncreated     \(v.createdAt) by \(v.createdBy)\n"
                if let by = v.approvedBy { text += "approved    \(v.approvedAt ?? "") by \(by)\n" }
                if !v.aliases.isEmpty { text += "aliases     \(v.aliases.joined(separator: ", "))\n" }
                for (name, value) in v.metrics.sorted(by: { $0.key < $1.key }) {
                    text += "\(name.padding(toLength: 12, withPad: " ", startingAt: 0))\(value)\n"
                }
                Console.out(text)
            }
        }

        struct Promote: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "promote", abstract: "Move a version to a stage (production archives the previous one).")
            @Argument var model: String
            @Argument var version: Int
            @Option(help: "The stage: none, staging, production or archived.") var to: Stage
            @Option(help: "Who promotes it (default: $USER).") var by: String?
            @Option(help: "Why.") var comment: String?
            @OptionGroup var options: RegistryOptions

            func run() async throws {
                let v = try await options.open(label: "batcat.registry").promote(
                    model, version: version, to: to, by: RegistryOptions.actor(by), comment: comment)
                try options.print([v])
            }
        }

        struct Approve: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "approve", abstract: "Approve a version for production.")
            @Argument var model: String
            @Argument var version: Int
            @Option(help: "Who approves it.") var by: String
            @Option(help: "Why.") var comment: String?
            @OptionGroup var options: RegistryOptions

            func run() async throws {
                try options.print([
                    try await options.open(label: "batcat.registry").approve(model, version: version, by: by, comment: comment)
                ])
            }
        }

        struct Alias: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "alias", abstract: "Point an alias (such as champion) at a version.")
            @Argument var model: String
            @Argument var alias: String
            @Argument var version: Int
            @Option(help: "Who sets it (default: $USER).") var by: String?
            @OptionGroup var options: RegistryOptions

            func run() async throws {
                try options.print([
                    try await options.open(label: "batcat.registry").alias(model, alias, version: version, by: RegistryOptions.actor(by))
                ])
            }
        }

        struct History: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "history", abstract: "The audit trail of a model: who changed what, when.")
            @Argument var model: String
            @OptionGroup var options: RegistryOptions

            func run() async throws {
                let events = try await options.open(label: "batcat.registry").history(model)
                if options.format == .json { return Console.out(try JSONReport.encode(HistoryReport(events: events))) }
                var rows = [["#", "at", "version", "event", "from", "to", "by", "comment"]]
                for e in events {
                    rows.append([
                        String(e.id), e.at, e.version.map(String.init) ?? "", e.kind, e.from ?? "", e.to ?? "", e.actor, e.comment ?? "",
                    ])
                }
                Console.out(TextTable.render(rows, rightAligned: [0, 2]))
            }
        }

        struct Rollback: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "rollback", abstract: "Put the previous production version back in production.")
            @Argument var model: String
            @Option(help: "Who rolls back (default: $USER).") var by: String?
            @Option(help: "Why.") var comment: String?
            @OptionGroup var options: RegistryOptions

            func run() async throws {
                try options.print([
                    try await options.open(label: "batcat.registry").rollback(model, by: RegistryOptions.actor(by), comment: comment)
                ])
            }
        }
    }
}
