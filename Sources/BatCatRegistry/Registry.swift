import BatCatCore
import BatCatML
import BatCatStorage
import Foundation
import GRDB
import Logging

/// A model version's lifecycle stage.
public enum Stage: String, Codable, Sendable, CaseIterable {
    /// Registered, not yet staged.
    case none
    /// Under test.
    case staging
    /// Serving; at most one version per model.
    case production
    /// Retired.
    case archived
}

/// One registered version of a model.
public struct ModelVersion: Codable, Equatable, Sendable {
    /// The model's name.
    public var model: String
    /// The version number, 1, 2, … per model.
    public var version: Int
    /// The artifact's digest.
    public var digest: String
    /// Where the artifact is, as a key in the registry's object store.
    public var artifactKey: String
    /// The current stage.
    public var stage: Stage
    /// Aliases pointing at this version.
    public var aliases: [String]
    /// Who registered it.
    public var createdBy: String
    /// When (ISO 8601, UTC).
    public var createdAt: String
    /// Who approved it for production, if anyone.
    public var approvedBy: String?
    /// When it was approved.
    public var approvedAt: String?
    /// The artifact's metrics.
    public var metrics: [String: Double]
}

/// One entry of the append-only audit trail.
public struct RegistryEvent: Codable, Equatable, Sendable {
    /// The event's sequence number.
    public var id: Int
    /// The model.
    public var model: String
    /// The version concerned.
    public var version: Int?
    /// `registered`, `promoted`, `archived`, `approved`, `aliased`, `rolled-back`.
    public var kind: String
    /// The stage or alias target before.
    public var from: String?
    /// The stage or alias target after.
    public var to: String?
    /// Who did it.
    public var actor: String
    /// When (ISO 8601, UTC).
    public var at: String
    /// Why, in the actor's words.
    public var comment: String?
}

/// How a server or a batch job picks a version.
public enum VersionSelector: Sendable, Equatable, CustomStringConvertible {
    /// The version in a stage (production by default).
    case stage(Stage)
    /// A version number.
    case version(Int)
    /// The version an alias points at.
    case alias(String)

    /// `stage production`, `version 3`, `alias champion`.
    public var description: String {
        switch self {
        case .stage(let stage): "stage \(stage.rawValue)"
        case .version(let version): "version \(version)"
        case .alias(let alias): "alias \(alias)"
        }
    }
}

/// The model registry: versions, stages, approvals, aliases and an audit trail, with metadata in SQLite
/// (GRDB) and artifacts in an ``ObjectStore`` keyed by digest.
///
/// ```swift
/// let registry = try Registry(databasePath: "model/registry.sqlite", store: try LocalObjectStore(root: "model/artifacts"))
/// let v = try await registry.register(artifactBytes, model: "churn", by: "ana")
/// try await registry.promote("churn", version: v.version, to: .production, by: "ana")
/// ```
///
/// ## Topics
/// - ``register(_:model:by:comment:)``
/// - ``promote(_:version:to:by:comment:)``
/// - ``approve(_:version:by:comment:)``
/// - ``alias(_:_:version:by:)``
/// - ``rollback(_:by:comment:)``
/// - ``resolve(_:_:)``
/// - ``artifact(for:)``
public struct Registry: Sendable {
    /// Whether promotion to production needs an approval first.
    public var requireApproval: Bool
    private let database: DatabaseQueue
    private let store: any ObjectStore
    private let logger: Logger
    private let clock: @Sendable () -> Date

    /// Opens (creating and migrating) the registry.
    public init(
        databasePath: String, store: any ObjectStore, requireApproval: Bool = false, logger: Logger = Logger(label: "batcat.registry"),
        clock: @escaping @Sendable () -> Date = { Date() }
    ) throws(RegistryError) {
        self.requireApproval = requireApproval
        self.store = store
        self.logger = logger
        self.clock = clock
        do {
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: databasePath).deletingLastPathComponent(), withIntermediateDirectories: true)
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            database = try DatabaseQueue(path: databasePath, configuration: configuration)
            try RegistrySchema.migrator.migrate(database)
        } catch {
            throw RegistryError(
                .database, "cannot open the registry at '\(databasePath)': \(error)", hints: ["check that the folder is writable"])
        }
    }

    private func timestamp() -> String {
        ISO8601DateFormatter().string(from: clock())
    }

    private func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(RegistryError) -> T {
        try await access { try await database.write(body) }
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(RegistryError) -> T {
        try await access { try await database.read(body) }
    }

    /// Runs a database access, passing our own errors through and naming any other as a database failure.
    private func access<T>(_ operation: () async throws -> T) async throws(RegistryError) -> T {
        do {
            return try await operation()
        } catch let error as RegistryError {
            throw error
        } catch {
            throw RegistryError(.database, "the registry database failed: \(error)")
        }
    }

    static func checkName(_ name: String, what: String) throws(RegistryError) {
        let allowed = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == "."
        }
        guard !name.isEmpty, allowed, name.count <= 128 else {
            throw RegistryError(.invalidName, "'\(name)' is not a valid \(what): use letters, digits, '-', '_' and '.'")
        }
    }

    /// Registers an artifact as the next version of `model`; the same artifact registered again returns
    /// its existing version. The artifact is checked (digest and format) and stored under its digest.
    @discardableResult
    public func register(
        _ bytes: [UInt8], model: String, by actor: String, comment: String? = nil
    ) async throws(RegistryError) -> ModelVersion {
        try Registry.checkName(model, what: "model name")
        let artifact: ModelArtifact
        let digest: String
        do {
            let sealed = try ModelArtifact.open(bytes, name: "the artifact")
            (artifact, digest) = (sealed.artifact, sealed.digest)
        } catch {
            throw RegistryError(.invalidArtifact, "cannot register \(model): \(error.message)", hints: error.hints)
        }
        let key = "models/\(model)/\(digest.replacingOccurrences(of: "sha256:", with: "")).json"
        do {
            try await store.put(bytes, at: key)
        } catch {
            throw RegistryError(.store, "cannot store the artifact of \(model): \(error.message)", hints: error.hints)
        }
        let now = timestamp()
        let metrics = String(decoding: (try? JSONEncoder().encode(artifact.metrics)) ?? Data("{}".utf8), as: UTF8.self)
        let number: Int = try await write { db in
            if let existing = try Int.fetchOne(
                db, sql: "SELECT version FROM versions WHERE model = ? AND digest = ?", arguments: [model, digest])
            {
                return existing
            }
            try db.execute(sql: "INSERT OR IGNORE INTO models (name, created_at) VALUES (?, ?)", arguments: [model, now])
            let next = (try Int.fetchOne(db, sql: "SELECT MAX(version) FROM versions WHERE model = ?", arguments: [model]) ?? 0) + 1
            try db.execute(
                sql: """
                    INSERT INTO versions (model, version, digest, artifact_key, stage, created_by, created_at, metrics)
                    VALUES (?, ?, ?, ?, 'none', ?, ?, ?)
                    """, arguments: [model, next, digest, key, actor, now, metrics])
            try Registry.record(
                db, model: model, version: next, kind: "registered", from: nil, to: Stage.none.rawValue, actor: actor, at: now,
                comment: comment)
            return next
        }
        logger.info("version registered", metadata: ["model.name": "\(model)", "model.version": "\(number)"])
        return try await show(model, version: number)
    }

    /// Moves a version to a stage. Promoting to production archives the current production version in
    /// the same transaction, and needs an approval when ``requireApproval`` is set.
    @discardableResult
    public func promote(
        _ model: String, version: Int, to stage: Stage, by actor: String, comment: String? = nil
    ) async throws(RegistryError)
        -> ModelVersion
    {
        let requireApproval = self.requireApproval
        let now = timestamp()
        try await write { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT stage, approved_by FROM versions WHERE model = ? AND version = ?", arguments: [model, version])
            else { throw Registry.missing(model, version: version) }
            let current: String = row["stage"]
            guard current != stage.rawValue else { return }
            if stage == .production && requireApproval && (row["approved_by"] as String?) == nil {
                throw RegistryError(
                    .approvalRequired, "\(model) version \(version) needs an approval before it can go to production",
                    hints: ["approve it first: batcat registry approve \(model) \(version) --by NAME"])
            }
            if stage == .production {
                let holders = try Int.fetchAll(
                    db, sql: "SELECT version FROM versions WHERE model = ? AND stage = 'production'", arguments: [model])
                for holder in holders {
                    try db.execute(
                        sql: "UPDATE versions SET stage = 'archived' WHERE model = ? AND version = ?", arguments: [model, holder])
                    try Registry.record(
                        db, model: model, version: holder, kind: "archived", from: "production", to: "archived", actor: actor, at: now,
                        comment: "replaced by version \(version)")
                }
            }
            try db.execute(
                sql: "UPDATE versions SET stage = ? WHERE model = ? AND version = ?", arguments: [stage.rawValue, model, version])
            try Registry.record(
                db, model: model, version: version, kind: "promoted", from: current, to: stage.rawValue, actor: actor, at: now,
                comment: comment)
        }
        logger.info(
            "version promoted", metadata: ["model.name": "\(model)", "model.version": "\(version)", "model.stage": "\(stage.rawValue)"])
        return try await show(model, version: version)
    }

    /// Records an approval of a version for production.
    @discardableResult
    public func approve(_ model: String, version: Int, by actor: String, comment: String? = nil) async throws(RegistryError) -> ModelVersion
    {
        let now = timestamp()
        try await write { db in
            try Registry.requireVersion(db, model, version)
            try db.execute(
                sql: "UPDATE versions SET approved_by = ?, approved_at = ? WHERE model = ? AND version = ?",
                arguments: [actor, now, model, version])
            try Registry.record(
                db, model: model, version: version, kind: "approved", from: nil, to: nil, actor: actor, at: now, comment: comment)
        }
        return try await show(model, version: version)
    }

    /// Points `alias` at a version (moving it if it pointed elsewhere).
    @discardableResult
    public func alias(_ model: String, _ alias: String, version: Int, by actor: String) async throws(RegistryError) -> ModelVersion {
        try Registry.checkName(alias, what: "alias")
        let now = timestamp()
        try await write { db in
            try Registry.requireVersion(db, model, version)
            let previous = try Int.fetchOne(
                db, sql: "SELECT version FROM aliases WHERE model = ? AND alias = ?", arguments: [model, alias])
            try db.execute(
                sql:
                    "INSERT INTO aliases (model, alias, version) VALUES (?, ?, ?) ON CONFLICT (model, alias) DO UPDATE SET version = excluded.version",
                arguments: [model, alias, version])
            try Registry.record(
                db, model: model, version: version, kind: "aliased", from: previous.map { "\(alias)→\($0)" }, to: "\(alias)→\(version)",
                actor: actor,
                at: now, comment: nil)
        }
        return try await show(model, version: version)
    }

    /// Puts back in production the version that held it before the current one.
    @discardableResult
    public func rollback(_ model: String, by actor: String, comment: String? = nil) async throws(RegistryError) -> ModelVersion {
        let now = timestamp()
        let target: Int = try await write { db in
            guard
                let current = try Int.fetchOne(
                    db, sql: "SELECT version FROM versions WHERE model = ? AND stage = 'production'", arguments: [model])
            else {
                throw RegistryError(
                    .invalidTransition, "\(model) has no production version to roll back", hints: ["see batcat registry history \(model)"])
            }
            guard
                let previous = try Int.fetchOne(
                    db,
                    sql: """
                        SELECT version FROM events WHERE model = ? AND kind = 'archived' AND from_value = 'production' AND version != ?
                        ORDER BY id DESC LIMIT 1
                        """, arguments: [model, current])
            else {
                throw RegistryError(.invalidTransition, "\(model) has no earlier production version to roll back to")
            }
            try db.execute(sql: "UPDATE versions SET stage = 'archived' WHERE model = ? AND version = ?", arguments: [model, current])
            try Registry.record(
                db, model: model, version: current, kind: "archived", from: "production", to: "archived", actor: actor, at: now,
                comment: "rolled back")
            try db.execute(sql: "UPDATE versions SET stage = 'production' WHERE model = ? AND version = ?", arguments: [model, previous])
            try Registry.record(
                db, model: model, version: previous, kind: "rolled-back", from: "archived", to: "production", actor: actor, at: now,
                comment: comment)
            return previous
        }
        return try await show(model, version: target)
    }

    /// One version.
    public func show(_ model: String, version: Int) async throws(RegistryError) -> ModelVersion {
        guard let found = try await read({ db in try Registry.versions(db, model: model, version: version).first }) else {
            throw Registry.missing(model, version: version)
        }
        return found
    }

    /// Every version, of one model or of all, by model then version.
    public func list(_ model: String? = nil) async throws(RegistryError) -> [ModelVersion] {
        try await read { db in try Registry.versions(db, model: model, version: nil) }
    }

    /// The audit trail of a model, oldest first.
    public func history(_ model: String) async throws(RegistryError) -> [RegistryEvent] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM events WHERE model = ? ORDER BY id", arguments: [model]).map { row in
                RegistryEvent(
                    id: row["id"], model: row["model"], version: row["version"], kind: row["kind"], from: row["from_value"],
                    to: row["to_value"],
                    actor: row["actor"], at: row["at"], comment: row["comment"])
            }
        }
    }

    /// The version a selector picks now.
    public func resolve(_ model: String, _ selector: VersionSelector) async throws(RegistryError) -> ModelVersion {
        let number: Int? = try await read { db in
            switch selector {
            case .version(let version): return version
            case .stage(let stage):
                return try Int.fetchOne(
                    db, sql: "SELECT version FROM versions WHERE model = ? AND stage = ? ORDER BY version DESC LIMIT 1",
                    arguments: [model, stage.rawValue])
            case .alias(let alias):
                return try Int.fetchOne(db, sql: "SELECT version FROM aliases WHERE model = ? AND alias = ?", arguments: [model, alias])
            }
        }
        guard let number else {
            throw RegistryError(
                .notFound, "\(model) has no version at \(selector)",
                hints: ["see the versions with: batcat registry list \(model)"])
        }
        return try await show(model, version: number)
    }

    /// The artifact of a version, read from the store and checked against the registered digest.
    public func artifact(for version: ModelVersion) async throws(RegistryError) -> SealedArtifact {
        let bytes: [UInt8]
        do {
            bytes = try await store.get(version.artifactKey)
        } catch {
            throw RegistryError(.store, "cannot read the artifact of \(version.model) version \(version.version): \(error.message)")
        }
        do {
            let artifact = try ModelArtifact.open(bytes, name: "\(version.model) version \(version.version)")
            guard artifact.digest == version.digest else {
                throw RegistryError(
                    .invalidArtifact, "the stored artifact of \(version.model) version \(version.version) is not the one registered")
            }
            return artifact
        } catch let error as RegistryError {
            throw error
        } catch let error as MLError {
            throw RegistryError(.invalidArtifact, error.message, hints: error.hints)
        } catch {
            throw RegistryError(.invalidArtifact, "\(error)")
        }
    }

    // MARK: SQL helpers

    /// Throws ``missing(_:version:)`` unless the version is registered.
    static func requireVersion(_ db: Database, _ model: String, _ version: Int) throws {
        guard try Int.fetchOne(db, sql: "SELECT version FROM versions WHERE model = ? AND version = ?", arguments: [model, version]) != nil
        else { throw Registry.missing(model, version: version) }
    }

    static func missing(_ model: String, version: Int) -> RegistryError {
        RegistryError(.notFound, "\(model) has no version \(version)", hints: ["see the versions with: batcat registry list \(model)"])
    }

    static func record(
        _ db: Database, model: String, version: Int?, kind: String, from: String?, to: String?, actor: String, at: String, comment: String?
    ) throws {
        try db.execute(
            sql: "INSERT INTO events (model, version, kind, from_value, to_value, actor, at, comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [model, version, kind, from, to, actor, at, comment])
    }

    static func versions(_ db: Database, model: String?, version: Int?) throws -> [ModelVersion] {
        var sql = "SELECT * FROM versions"
        var arguments: StatementArguments = []
        if let model {
            sql += " WHERE model = ?"
            arguments += [model]
            if let version {
                sql += " AND version = ?"
                arguments += [version]
            }
        }
        sql += " ORDER BY model, version"
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            let model: String = row["model"]
            let version: Int = row["version"]
            let aliases = try String.fetchAll(
                db, sql: "SELECT alias FROM aliases WHERE model = ? AND version = ? ORDER BY alias", arguments: [model, version])
            let metricsText: String = row["metrics"]
            let metrics = (try? JSONDecoder().decode([String: Double].self, from: Data(metricsText.utf8))) ?? [:]
            return ModelVersion(
                model: model, version: version, digest: row["digest"], artifactKey: row["artifact_key"],
                stage: Stage(rawValue: row["stage"]) ?? .none, aliases: aliases, createdBy: row["created_by"], createdAt: row["created_at"],
                approvedBy: row["approved_by"], approvedAt: row["approved_at"], metrics: metrics)
        }
    }
}

/// The registry's schema: named, append-only migrations in portable SQL (TEXT and INTEGER only), so
/// the same statements can create it on PostgreSQL.
enum RegistrySchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-21-create-registry") { db in
            try db.execute(
                sql: """
                    CREATE TABLE models (name TEXT PRIMARY KEY, created_at TEXT NOT NULL);
                    CREATE TABLE versions (
                        model TEXT NOT NULL REFERENCES models(name),
                        version INTEGER NOT NULL,
                        digest TEXT NOT NULL,
                        artifact_key TEXT NOT NULL,
                        stage TEXT NOT NULL,
                        created_by TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        approved_by TEXT,
                        approved_at TEXT,
                        metrics TEXT NOT NULL,
                        PRIMARY KEY (model, version)
                    );
                    CREATE TABLE aliases (
                        model TEXT NOT NULL, alias TEXT NOT NULL, version INTEGER NOT NULL,
                        PRIMARY KEY (model, alias)
                    );
                    CREATE TABLE events (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        model TEXT NOT NULL, version INTEGER, kind TEXT NOT NULL,
                        from_value TEXT, to_value TEXT, actor TEXT NOT NULL, at TEXT NOT NULL, comment TEXT
                    );
                    CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
                        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
                    CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
                        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
                    CREATE UNIQUE INDEX one_production_per_model ON versions(model) WHERE stage = 'production';
                    """)
        }
        return migrator
    }
}
