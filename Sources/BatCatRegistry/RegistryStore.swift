import Foundation
import GRDB
import Synchronization

/// One value in a registry row: the registry's columns are TEXT and INTEGER only.
public enum SQLValue: Sendable, Equatable {
    /// NULL.
    case null
    /// An INTEGER.
    case integer(Int64)
    /// A TEXT.
    case text(String)

    /// `nil` as NULL.
    public init(_ text: String?) { self = text.map { .text($0) } ?? .null }
    /// `nil` as NULL.
    public init(_ integer: Int?) { self = integer.map { .integer(Int64($0)) } ?? .null }
}

/// A row by column name.
public struct SQLRow: Sendable, Equatable {
    /// The values by column name.
    public var values: [String: SQLValue]

    /// A row of these values.
    public init(_ values: [String: SQLValue]) { self.values = values }

    /// The text in `column`, or `nil` when it is NULL or not text.
    public func text(_ column: String) -> String? {
        if case .text(let text) = values[column] { return text }
        return nil
    }

    /// The integer in `column`, or `nil` when it is NULL or not an integer.
    public func int(_ column: String) -> Int? {
        if case .integer(let value) = values[column] { return Int(value) }
        return nil
    }
}

/// Statements inside one transaction. SQL uses `?` placeholders, always bound, never spliced.
public protocol SQLSession: Sendable {
    /// Runs a statement that returns no rows.
    func execute(_ sql: String, _ arguments: [SQLValue]) async throws
    /// Runs a query.
    func rows(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow]
}

extension SQLSession {
    /// The first row of a query.
    public func first(_ sql: String, _ arguments: [SQLValue]) async throws -> SQLRow? {
        try await rows(sql, arguments).first
    }

    /// The first column of the first row, as an integer.
    public func int(_ sql: String, _ arguments: [SQLValue]) async throws -> Int? {
        guard let row = try await first(sql, arguments), let value = row.values.values.first else { return nil }
        if case .integer(let number) = value { return Int(number) }
        return nil
    }
}

/// Where the registry keeps its metadata: versions, stages, aliases and the audit trail.
///
/// The registry's statements are portable SQL (TEXT and INTEGER columns, `?` parameters, `ON CONFLICT`, no
/// `INSERT OR IGNORE`), so a backend only runs them in transactions and creates the schema its own way (SQLite
/// here, PostgreSQL next). To add one: implement this and register its URL scheme with
/// ``RegistryStores/register(scheme:open:)``.
public protocol RegistryStore: Sendable, CustomStringConvertible {
    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws. Transactions of one
    /// store never interleave. A `readOnly` one only reads, and need not hold off other processes' readers or writers
    /// while it waits its turn.
    func transaction<T: Sendable>(readOnly: Bool, _ body: @Sendable (any SQLSession) async throws -> T) async throws -> T
}

/// Opens registry stores by location: `sqlite:` URLs and plain paths, and whatever schemes are registered.
public enum RegistryStores {
    /// Opens a store from its location.
    public typealias Opener = @Sendable (String) throws -> any RegistryStore
    private static let openers = Mutex<[String: Opener]>([:])

    /// Adds (or replaces) the registry backend for a URL scheme (`postgresql`).
    public static func register(scheme: String, open: @escaping Opener) {
        openers.withLock { $0[scheme] = open }
    }

    /// The registered schemes besides SQLite, sorted.
    public static var registeredSchemes: [String] { openers.withLock { $0.keys.sorted() } }

    /// The store at `location`, when its scheme is registered; `nil` for SQLite locations (`sqlite:`, paths).
    public static func open(registered location: String) throws -> (any RegistryStore)? {
        guard let colon = location.firstIndex(of: ":") else { return nil }
        let scheme = String(location[..<colon]).lowercased()
        guard let opener = openers.withLock({ $0[scheme] }) else { return nil }
        return try opener(location)
    }
}

/// Transactions one at a time, in the order they asked, without blocking a thread.
final class TransactionLock: Sendable {
    private let state = Mutex<(held: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if !state.held {
                    state.held = true
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiting.isEmpty {
                state.held = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}

/// The registry's metadata in a SQLite file, through GRDB.
public struct SQLiteRegistryStore: RegistryStore {
    private let database: DatabaseQueue
    private let lock = TransactionLock()
    /// The file.
    public let path: String

    /// Opens (creating and migrating) the registry database at `path`.
    public init(path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        // A transaction spans several accesses (BEGIN IMMEDIATE … COMMIT), serialized by `lock`.
        configuration.allowsUnsafeTransactions = true
        database = try DatabaseQueue(path: path, configuration: configuration)
        try SQLiteRegistrySchema.migrator.migrate(database)
    }

    /// `sqlite:` and the path.
    public var description: String { "sqlite:\(path)" }

    /// BEGIN IMMEDIATE (the write lock up front, so two processes never deadlock upgrading a read; BEGIN DEFERRED for
    /// a read-only one, which takes no write lock), the body, then COMMIT, or ROLLBACK when it throws.
    public func transaction<T: Sendable>(readOnly: Bool, _ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        await lock.acquire()
        defer { lock.release() }
        let begin = readOnly ? "BEGIN DEFERRED" : "BEGIN IMMEDIATE"
        try await database.writeWithoutTransaction { try $0.execute(sql: begin) }
        do {
            let result = try await body(SQLiteSession(database: database))
            try await database.writeWithoutTransaction { try $0.execute(sql: "COMMIT") }
            return result
        } catch {
            try? await database.writeWithoutTransaction { db in if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") } }
            throw error
        }
    }
}

/// Statements on the queue whose transaction is open.
struct SQLiteSession: SQLSession {
    let database: DatabaseQueue

    static func arguments(_ values: [SQLValue]) -> StatementArguments {
        StatementArguments(
            values.map { value -> (any DatabaseValueConvertible)? in
                switch value {
                case .null: nil
                case .integer(let number): number
                case .text(let text): text
                }
            })
    }

    func execute(_ sql: String, _ arguments: [SQLValue]) async throws {
        let bound = SQLiteSession.arguments(arguments)
        try await database.writeWithoutTransaction { try $0.execute(sql: sql, arguments: bound) }
    }

    func rows(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow] {
        let bound = SQLiteSession.arguments(arguments)
        return try await database.writeWithoutTransaction { db in
            try Row.fetchAll(db, sql: sql, arguments: bound).map { row in
                var values: [String: SQLValue] = [:]
                for (column, value) in row {
                    switch value.storage {
                    case .int64(let number): values[column] = .integer(number)
                    case .string(let text): values[column] = .text(text)
                    case .double(let number): values[column] = .integer(Int64(number))
                    case .null, .blob: values[column] = .null
                    }
                }
                return SQLRow(values)
            }
        }
    }
}

/// The SQLite schema of the registry: named, append-only migrations. The events table's id and the triggers that
/// keep the audit trail append-only are SQLite's own; a PostgreSQL backend writes the same tables its way.
enum SQLiteRegistrySchema {
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
