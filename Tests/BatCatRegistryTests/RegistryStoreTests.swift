import BatCatRegistry
import BatCatStorage
import Foundation
import Synchronization
import Testing

/// A backend that runs the registry's statements on SQLite and keeps each one, to check what a PostgreSQL backend
/// would be handed.
final class RecordingStore: RegistryStore {
    let inner: SQLiteRegistryStore
    let statements = Mutex<[String]>([])
    init(inner: SQLiteRegistryStore) { self.inner = inner }
    var description: String { "recording \(inner)" }

    func transaction<T: Sendable>(readOnly: Bool, _ body: @Sendable (any SQLSession) async throws -> T) async throws -> T {
        try await inner.transaction(readOnly: readOnly) { session in try await body(Recorder(inner: session, store: self)) }
    }

    struct Recorder: SQLSession {
        let inner: any SQLSession
        let store: RecordingStore
        func execute(_ sql: String, _ arguments: [SQLValue]) async throws {
            store.statements.withLock { $0.append(sql) }
            try await inner.execute(sql, arguments)
        }
        func rows(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow] {
            store.statements.withLock { $0.append(sql) }
            return try await inner.rows(sql, arguments)
        }
    }
}

@Suite("Registry metadata behind a store")
struct RegistryStoreTests {
    @Test("Every statement the registry runs is portable SQL with bound parameters, and a version's whole life works through it")
    func portable() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("batcat-registry-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let recording = RecordingStore(inner: try SQLiteRegistryStore(path: folder.appendingPathComponent("r.sqlite").path))
        let registry = Registry(metadata: recording, store: try LocalObjectStore(root: folder.appendingPathComponent("artifacts").path))
        let one = try await registry.register(try TestArtifacts.bytes(slope: 1), model: "churn", by: "ana")
        let two = try await registry.register(try TestArtifacts.bytes(slope: 2), model: "churn", by: "ana")
        try await registry.promote("churn", version: one.version, to: .production, by: "ana")
        try await registry.promote("churn", version: two.version, to: .production, by: "ana")
        try await registry.approve("churn", version: two.version, by: "bo")
        try await registry.alias("churn", "champion", version: two.version, by: "ana")
        #expect(try await registry.rollback("churn", by: "ana").version == one.version)
        #expect(try await registry.resolve("churn", .alias("champion")).version == two.version)
        #expect(try await registry.history("churn").count == 9)
        let statements = recording.statements.withLock { $0 }
        #expect(statements.count > 20)
        for sql in statements {
            let upper = sql.uppercased()
            for construct in ["OR IGNORE", "OR REPLACE", "AUTOINCREMENT", "RAISE(", "PRAGMA", "GLOB", "IFNULL(", "RETURNING"] {
                #expect(!upper.contains(construct), "\(construct) in: \(sql)")
            }
            #expect(!sql.contains("'churn'") && !sql.contains("ana"), "a value spliced into: \(sql)")
        }
    }

    @Test("Concurrent promotions never leave two production versions: transactions do not interleave")
    func serialized() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("batcat-registry-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let registry = try Registry(
            databasePath: folder.appendingPathComponent("r.sqlite").path, store: try LocalObjectStore(root: folder.appendingPathComponent("a").path))
        var versions: [Int] = []
        for slope in 1...6 { versions.append(try await registry.register(try TestArtifacts.bytes(slope: Double(slope)), model: "m", by: "t").version) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for version in versions {
                group.addTask { _ = try await registry.promote("m", version: version, to: .production, by: "t") }
            }
            try await group.waitForAll()
        }
        let production = try await registry.list("m").filter { $0.stage == .production }
        #expect(production.count == 1)
        #expect(try await registry.history("m").filter { $0.kind == "archived" }.count == 5)
    }
}
