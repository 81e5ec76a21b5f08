import BatCatCore
import BatCatML
import BatCatStorage
import Foundation
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

/// The model registry: versions, stages, approvals, aliases and an audit trail, with metadata in a
/// ``RegistryStore`` (SQLite by default) and artifacts in an ``ObjectStore`` keyed by digest.
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
    private let metadata: any RegistryStore
    private let store: any ObjectStore
    private let logger: Logger
    private let clock: @Sendable () -> Date

    /// A registry with its metadata in `metadata` and its artifacts in `store`.
    public init(
        metadata: any RegistryStore, store: any ObjectStore, requireApproval: Bool = false, logger: Logger = Logger(label: "batcat.registry"),
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.requireApproval = requireApproval
        self.metadata = metadata
        self.store = store
        self.logger = logger
        self.clock = clock
    }

    /// Opens (creating and migrating) a registry whose metadata is in the SQLite file `databasePath`.
    public init(
        databasePath: String, store: any ObjectStore, requireApproval: Bool = false, logger: Logger = Logger(label: "batcat.registry"),
        clock: @escaping @Sendable () -> Date = { Date() }
    ) throws(RegistryError) {
        let metadata: SQLiteRegistryStore
        do {
            metadata = try SQLiteRegistryStore(path: databasePath)
        } catch {
            throw RegistryError(
                .database, "cannot open the registry at '\(databasePath)': \(error)", hints: ["check that the folder is writable"], cause: error)
        }
        self.init(metadata: metadata, store: store, requireApproval: requireApproval, logger: logger, clock: clock)
    }

    private func timestamp() -> String {
        ISO8601DateFormatter().string(from: clock())
    }

    /// A transaction that writes.
    private func transaction<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws(RegistryError) -> T {
        try await transaction(readOnly: false, body)
    }

    /// A transaction that only reads.
    private func read<T: Sendable>(_ body: @Sendable (any SQLSession) async throws -> T) async throws(RegistryError) -> T {
        try await transaction(readOnly: true, body)
    }

    /// Runs a transaction, passing our own errors through and naming any other as a database failure.
    private func transaction<T: Sendable>(
        readOnly: Bool, _ body: @Sendable (any SQLSession) async throws -> T
    ) async throws(RegistryError) -> T {
        do {
            return try await metadata.transaction(readOnly: readOnly, body)
        } catch let error as RegistryError {
            throw error
        } catch {
            throw RegistryError(.database, "the registry database (\(metadata)) failed: \(error)", cause: error)
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
            throw RegistryError(.invalidArtifact, "cannot register \(model): \(error.message)", hints: error.hints, cause: error)
        }
        let key = "models/\(model)/\(digest.replacingOccurrences(of: "sha256:", with: "")).json"
        do {
            try await store.put(bytes, at: key)
        } catch {
            throw RegistryError(.store, "cannot store the artifact of \(model): \(error.message)", hints: error.hints, cause: error)
        }
        let now = timestamp()
        let metrics = String(decoding: (try? JSONEncoder().encode(artifact.metrics)) ?? Data("{}".utf8), as: UTF8.self)
        let number: Int = try await transaction { db in
            if let existing = try await db.int(
                "SELECT version FROM versions WHERE model = ? AND digest = ?", [.text(model), .text(digest)])
            {
                return existing
            }
            try await db.execute(
                "INSERT INTO models (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", [.text(model), .text(now)])
            let next = (try await db.int("SELECT MAX(version) AS v FROM versions WHERE model = ?", [.text(model)]) ?? 0) + 1
            try await db.execute(
                """
                INSERT INTO versions (model, version, digest, artifact_key, stage, created_by, created_at, metrics)
                VALUES (?, ?, ?, ?, 'none', ?, ?, ?)
                """, [.text(model), SQLValue(next), .text(digest), .text(key), .text(actor), .text(now), .text(metrics)])
            try await Registry.record(
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
        try await transaction { db in
            guard
                let row = try await db.first(
                    "SELECT stage, approved_by FROM versions WHERE model = ? AND version = ?", [.text(model), SQLValue(version)])
            else { throw Registry.missing(model, version: version) }
            let current = row.text("stage") ?? Stage.none.rawValue
            guard current != stage.rawValue else { return }
            if stage == .production && requireApproval && row.text("approved_by") == nil {
                throw RegistryError(
                    .approvalRequired, "\(model) version \(version) needs an approval before it can go to production",
                    hints: ["approve it first: batcat registry approve \(model) \(version) --by NAME"])
            }
            if stage == .production {
                let holders = try await db.rows("SELECT version FROM versions WHERE model = ? AND stage = 'production'", [.text(model)])
                for holder in holders.compactMap({ $0.int("version") }) {
                    try await db.execute(
                        "UPDATE versions SET stage = 'archived' WHERE model = ? AND version = ?", [.text(model), SQLValue(holder)])
                    try await Registry.record(
                        db, model: model, version: holder, kind: "archived", from: "production", to: "archived", actor: actor, at: now,
                        comment: "replaced by version \(version)")
                }
            }
            try await db.execute(
                "UPDATE versions SET stage = ? WHERE model = ? AND version = ?", [.text(stage.rawValue), .text(model), SQLValue(version)])
            try await Registry.record(
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
        try await transaction { db in
            try await Registry.requireVersion(db, model, version)
            try await db.execute(
                "UPDATE versions SET approved_by = ?, approved_at = ? WHERE model = ? AND version = ?",
                [.text(actor), .text(now), .text(model), SQLValue(version)])
            try await Registry.record(
                db, model: model, version: version, kind: "approved", from: nil, to: nil, actor: actor, at: now, comment: comment)
        }
        return try await show(model, version: version)
    }

    /// Points `alias` at a version (moving it if it pointed elsewhere).
    @discardableResult
    public func alias(_ model: String, _ alias: String, version: Int, by actor: String) async throws(RegistryError) -> ModelVersion {
        try Registry.checkName(alias, what: "alias")
        let now = timestamp()
        try await transaction { db in
            try await Registry.requireVersion(db, model, version)
            let previous = try await db.int("SELECT version FROM aliases WHERE model = ? AND alias = ?", [.text(model), .text(alias)])
            try await db.execute(
                "INSERT INTO aliases (model, alias, version) VALUES (?, ?, ?) ON CONFLICT (model, alias) DO UPDATE SET version = excluded.version",
                [.text(model), .text(alias), SQLValue(version)])
            try await Registry.record(
                db, model: model, version: version, kind: "aliased", from: previous.map { "\(alias)→\($0)" }, to: "\(alias)→\(version)",
                actor: actor, at: now, comment: nil)
        }
        return try await show(model, version: version)
    }

    /// Puts back in production the version that held it before the current one.
    @discardableResult
    public func rollback(_ model: String, by actor: String, comment: String? = nil) async throws(RegistryError) -> ModelVersion {
        let now = timestamp()
        let target: Int = try await transaction { db in
            guard let current = try await db.int("SELECT version FROM versions WHERE model = ? AND stage = 'production'", [.text(model)])
            else {
                throw RegistryError(
                    .invalidTransition, "\(model) has no production version to roll back", hints: ["see batcat registry history \(model)"])
            }
            guard
                let previous = try await db.int(
                    """
                    SELECT version FROM events WHERE model = ? AND kind = 'archived' AND from_value = 'production' AND version != ?
                    ORDER BY id DESC LIMIT 1
                    """, [.text(model), SQLValue(current)])
            else {
                throw RegistryError(.invalidTransition, "\(model) has no earlier production version to roll back to")
            }
            try await db.execute("UPDATE versions SET stage = 'archived' WHERE model = ? AND version = ?", [.text(model), SQLValue(current)])
            try await Registry.record(
                db, model: model, version: current, kind: "archived", from: "production", to: "archived", actor: actor, at: now,
                comment: "rolled back")
            try await db.execute("UPDATE versions SET stage = 'production' WHERE model = ? AND version = ?", [.text(model), SQLValue(previous)])
            try await Registry.record(
                db, model: model, version: previous, kind: "rolled-back", from: "archived", to: "production", actor: actor, at: now,
                comment: comment)
            return previous
        }
        return try await show(model, version: target)
    }

    /// One version.
    public func show(_ model: String, version: Int) async throws(RegistryError) -> ModelVersion {
        guard let found = try await read({ db in try await Registry.versions(db, model: model, version: version).first }) else {
            throw Registry.missing(model, version: version)
        }
        return found
    }

    /// Every version, of one model or of all, by model then version.
    public func list(_ model: String? = nil) async throws(RegistryError) -> [ModelVersion] {
        try await read { db in try await Registry.versions(db, model: model, version: nil) }
    }

    /// The audit trail of a model, oldest first.
    public func history(_ model: String) async throws(RegistryError) -> [RegistryEvent] {
        try await read { db in
            try await db.rows("SELECT * FROM events WHERE model = ? ORDER BY id", [.text(model)]).map { row in
                RegistryEvent(
                    id: row.int("id") ?? 0, model: row.text("model") ?? model, version: row.int("version"), kind: row.text("kind") ?? "",
                    from: row.text("from_value"), to: row.text("to_value"), actor: row.text("actor") ?? "", at: row.text("at") ?? "",
                    comment: row.text("comment"))
            }
        }
    }

    /// The version a selector picks now.
    public func resolve(_ model: String, _ selector: VersionSelector) async throws(RegistryError) -> ModelVersion {
        let number: Int? = try await read { db in
            switch selector {
            case .version(let version): return version
            case .stage(let stage):
                return try await db.int(
                    "SELECT version FROM versions WHERE model = ? AND stage = ? ORDER BY version DESC LIMIT 1", [.text(model), .text(stage.rawValue)])
            case .alias(let alias):
                return try await db.int("SELECT version FROM aliases WHERE model = ? AND alias = ?", [.text(model), .text(alias)])
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
            throw RegistryError(
                .store, "cannot read the artifact of \(version.model) version \(version.version): \(error.message)", cause: error)
        }
        let artifact: SealedArtifact
        do {
            artifact = try ModelArtifact.open(bytes, name: "\(version.model) version \(version.version)")
        } catch {
            throw RegistryError(.invalidArtifact, error.message, hints: error.hints, cause: error)
        }
        guard artifact.digest == version.digest else {
            throw RegistryError(
                .invalidArtifact, "the stored artifact of \(version.model) version \(version.version) is not the one registered")
        }
        return artifact
    }

    // MARK: SQL helpers

    /// Throws ``missing(_:version:)`` unless the version is registered.
    static func requireVersion(_ db: any SQLSession, _ model: String, _ version: Int) async throws {
        guard try await db.int("SELECT version FROM versions WHERE model = ? AND version = ?", [.text(model), SQLValue(version)]) != nil
        else { throw Registry.missing(model, version: version) }
    }

    static func missing(_ model: String, version: Int) -> RegistryError {
        RegistryError(.notFound, "\(model) has no version \(version)", hints: ["see the versions with: batcat registry list \(model)"])
    }

    static func record(
        _ db: any SQLSession, model: String, version: Int?, kind: String, from: String?, to: String?, actor: String, at: String,
        comment: String?
    ) async throws {
        try await db.execute(
            "INSERT INTO events (model, version, kind, from_value, to_value, actor, at, comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [.text(model), SQLValue(version), .text(kind), SQLValue(from), SQLValue(to), .text(actor), .text(at), SQLValue(comment)])
    }

    static func versions(_ db: any SQLSession, model: String?, version: Int?) async throws -> [ModelVersion] {
        var sql = "SELECT * FROM versions"
        var arguments: [SQLValue] = []
        if let model {
            sql += " WHERE model = ?"
            arguments.append(.text(model))
            if let version {
                sql += " AND version = ?"
                arguments.append(SQLValue(version))
            }
        }
        sql += " ORDER BY model, version"
        var found: [ModelVersion] = []
        for row in try await db.rows(sql, arguments) {
            let model = row.text("model") ?? ""
            let version = row.int("version") ?? 0
            let aliases = try await db.rows(
                "SELECT alias FROM aliases WHERE model = ? AND version = ? ORDER BY alias", [.text(model), SQLValue(version)]
            ).compactMap { $0.text("alias") }
            let metrics = (try? JSONDecoder().decode([String: Double].self, from: Data((row.text("metrics") ?? "{}").utf8))) ?? [:]
            found.append(
                ModelVersion(
                    model: model, version: version, digest: row.text("digest") ?? "", artifactKey: row.text("artifact_key") ?? "",
                    stage: Stage(rawValue: row.text("stage") ?? "") ?? .none, aliases: aliases, createdBy: row.text("created_by") ?? "",
                    createdAt: row.text("created_at") ?? "", approvedBy: row.text("approved_by"), approvedAt: row.text("approved_at"),
                    metrics: metrics))
        }
        return found
    }
}
