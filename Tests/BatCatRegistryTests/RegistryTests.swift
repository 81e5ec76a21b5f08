import BatCatData
import BatCatML
import BatCatRegistry
import BatCatStorage
import Foundation
import Testing

/// Artifacts to register: small linear models that differ by their data.
enum TestArtifacts {
    static func bytes(slope: Double, name: String = "m") throws -> [UInt8] {
        let frame = try DataFrame(columns: [
            Column("x", doubles: (0..<20).map(Double.init)), Column("y", doubles: (0..<20).map { slope * Double($0) + 1 }),
        ])
        let spec = TrainingSpec(name: name, data: "-", target: "y", features: ["x"], estimator: EstimatorChoice(LinearRegression()))
        return try Trainer.train(spec, frame: frame, options: TrainingOptions(version: "test")).artifact.fileBytes()
    }
}

@Suite("Model registry")
struct RegistryTests {
    private func registry(requireApproval: Bool = false) throws -> (Registry, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("batcat-registry-\(UUID().uuidString)")
        let store = try LocalObjectStore(root: folder.appendingPathComponent("artifacts").path)
        return (
            try Registry(
                databasePath: folder.appendingPathComponent("registry.sqlite").path, store: store, requireApproval: requireApproval), folder
        )
    }

    @Test("Versions are numbered per model; the same artifact twice keeps its version")
    func versioning() async throws {
        let (registry, folder) = try registry()
        defer { try? FileManager.default.removeItem(at: folder) }
        let one = try await registry.register(try TestArtifacts.bytes(slope: 1), model: "churn", by: "ana")
        let two = try await registry.register(try TestArtifacts.bytes(slope: 2), model: "churn", by: "ana")
        let again = try await registry.register(try TestArtifacts.bytes(slope: 1), model: "churn", by: "bo")
        let other = try await registry.register(try TestArtifacts.bytes(slope: 1), model: "fraud", by: "ana")
        let numbers: [Int] = [one.version, two.version, again.version, other.version]
        #expect(numbers == [1, 2, 1, 1])
        #expect(one.stage == Stage.none)
        #expect(one.createdBy == "ana")
        #expect(one.digest.hasPrefix("sha256:"))
        #expect(try await registry.list("churn").map(\.version) == [1, 2])
        #expect(try await registry.list().count == 3)
    }

    @Test("Exactly one production version: promoting another archives the first in the same step")
    func oneProduction() async throws {
        let (registry, folder) = try registry()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await registry.register(try TestArtifacts.bytes(slope: 1), model: "m", by: "a")
        try await registry.register(try TestArtifacts.bytes(slope: 2), model: "m", by: "a")
        try await registry.promote("m", version: 1, to: .production, by: "a")
        try await registry.promote("m", version: 2, to: .production, by: "a")
        let versions = try await registry.list("m")
        #expect(versions.map(\.stage) == [.archived, .production])
        #expect(try await registry.resolve("m", .stage(.production)).version == 2)
    }

    @Test("Promotion to production can require an approval")
    func approval() async throws {
        let (registry, folder) = try registry(requireApproval: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await registry.register(try TestArtifacts.bytes(slope: 1), model: "m", by: "a")
        let error = await #expect(throws: RegistryError.self) { try await registry.promote("m", version: 1, to: .production, by: "a") }
        #expect(error?.code == .approvalRequired)
        #expect(error?.hints == ["approve it first: batcat registry approve m 1 --by NAME"])
        try await registry.promote("m", version: 1, to: .staging, by: "a")
        let approved = try await registry.approve("m", version: 1, by: "lead", comment: "checked the metrics")
        #expect(approved.approvedBy == "lead")
        #expect(try await registry.promote("m", version: 1, to: .production, by: "a").stage == .production)
    }

    @Test("Rollback puts the previous production version back")
    func rollback() async throws {
        let (registry, folder) = try registry()
        defer { try? FileManager.default.removeItem(at: folder) }
        for slope in [1.0, 2, 3] { try await registry.register(try TestArtifacts.bytes(slope: slope), model: "m", by: "a") }
        try await registry.promote("m", version: 1, to: .production, by: "a")
        try await registry.promote("m", version: 3, to: .production, by: "a")
        let back = try await registry.rollback("m", by: "oncall", comment: "latency")
        #expect(back.version == 1)
        #expect(back.stage == .production)
        #expect(try await registry.show("m", version: 3).stage == .archived)
    }

    @Test("Aliases point at versions and resolve; unknown ones are named")
    func aliases() async throws {
        let (registry, folder) = try registry()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await registry.register(try TestArtifacts.bytes(slope: 1), model: "m", by: "a")
        try await registry.register(try TestArtifacts.bytes(slope: 2), model: "m", by: "a")
        try await registry.alias("m", "champion", version: 1, by: "a")
        try await registry.alias("m", "champion", version: 2, by: "a")
        #expect(try await registry.resolve("m", .alias("champion")).version == 2)
        #expect(try await registry.show("m", version: 2).aliases == ["champion"])
        let error = await #expect(throws: RegistryError.self) { try await registry.resolve("m", .alias("challenger")) }
        #expect(error?.message == "m has no version at alias challenger")
    }

    @Test("Every change is in the audit trail, which cannot be edited")
    func auditTrail() async throws {
        let (registry, folder) = try registry()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await registry.register(try TestArtifacts.bytes(slope: 1), model: "m", by: "ana", comment: "first")
        try await registry.register(try TestArtifacts.bytes(slope: 2), model: "m", by: "ana")
        try await registry.promote("m", version: 1, to: .production, by: "bo")
        try await registry.promote("m", version: 2, to: .production, by: "bo", comment: "better r2")
        try await registry.alias("m", "best", version: 2, by: "cy")
        let events = try await registry.history("m")
        #expect(events.map(\.kind) == ["registered", "registered", "promoted", "archived", "promoted", "aliased"])
        #expect(events.map(\.actor) == ["ana", "ana", "bo", "bo", "bo", "cy"])
        #expect(events[4].from == "none")
        #expect(events[4].to == "production")
        #expect(events[4].comment == "better r2")
        #expect(events[3].comment == "replaced by version 2")
        // The trail is append-only, enforced by the database itself.
        let path = folder.appendingPathComponent("registry.sqlite").path
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sqlite.arguments = [
            "python3", "-c",
            "import sqlite3,sys\ntry:\n sqlite3.connect(sys.argv[1]).execute('DELETE FROM events')\nexcept Exception as e:\n print(e)",
            path,
        ]
        let pipe = Pipe()
        sqlite.standardOutput = pipe
        try sqlite.run()
        sqlite.waitUntilExit()
        #expect(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("append-only"))
    }

    @Test("The stored artifact loads and matches its digest; a swapped file is refused")
    func artifacts() async throws {
        let (registry, folder) = try registry()
        defer { try? FileManager.default.removeItem(at: folder) }
        let version = try await registry.register(try TestArtifacts.bytes(slope: 1), model: "m", by: "a")
        let artifact = try await registry.artifact(for: version)
        #expect(try artifact.digest == version.digest)
        let path = folder.appendingPathComponent("artifacts").appendingPathComponent(version.artifactKey).path
        try Data(try TestArtifacts.bytes(slope: 9)).write(to: URL(fileURLWithPath: path))
        let error = await #expect(throws: RegistryError.self) { try await registry.artifact(for: version) }
        #expect(error?.code == .invalidArtifact)
    }

    @Test("Bad input is named: unknown versions, bad names, non-artifacts")
    func badInput() async throws {
        let (registry, folder) = try registry()
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = await #expect(throws: RegistryError.self) { try await registry.promote("m", version: 4, to: .staging, by: "a") }
        #expect(missing?.message == "m has no version 4")
        let name = await #expect(throws: RegistryError.self) {
            try await registry.register(try TestArtifacts.bytes(slope: 1), model: "../x", by: "a")
        }
        #expect(name?.code == .invalidName)
        let junk = await #expect(throws: RegistryError.self) { try await registry.register(Array("{}".utf8), model: "m", by: "a") }
        #expect(junk?.code == .invalidArtifact)
        let rollback = await #expect(throws: RegistryError.self) { try await registry.rollback("m", by: "a") }
        #expect(rollback?.code == .invalidTransition)
    }
}
