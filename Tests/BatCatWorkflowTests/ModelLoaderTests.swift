import BatCatML
import BatCatRegistry
import BatCatStorage
import BatCatWorkflow
import Foundation
import Testing

@Suite("Loading a model: one function for files and registered versions")
struct ModelLoaderTests {
    private func folder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("batcat-loader-\(UUID().uuidString)")
    }

    @Test("A file and its registered version load to the same sealed artifact and digest")
    func fileAndRegistry() async throws {
        let root = folder()
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let bytes = try await TestArtifacts.bytes(slope: 3, name: "line", in: root)
        let file = root.appendingPathComponent("line.model.json").path
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let registry = try Registry(
            databasePath: root.appendingPathComponent("registry.sqlite").path,
            store: try LocalObjectStore(root: root.appendingPathComponent("artifacts").path))
        let version = try await registry.register(bytes, model: "line", by: "test")
        _ = try await registry.promote("line", version: version.version, to: .production, by: "test")

        let fromFile = try await ModelLoader.load(file: file)
        let fromURL = try await ModelLoader.load(file: "file://" + file)
        let registered = try await ModelLoader.load(.registered("line", .stage(.production)), registry: { registry })
        #expect(fromFile.name == "line" && fromFile.version == nil)
        #expect(registered.name == "line" && registered.version == version.version)
        #expect(fromFile.sealed == registered.sealed && fromURL.sealed == fromFile.sealed)
        // The digest a sealed artifact carries is the one its bytes give, and the one the registry recorded.
        #expect(registered.sealed.digest == version.digest)
        #expect(try fromFile.artifact.digest == fromFile.sealed.digest)
        #expect(try fromFile.sealed.fileBytes() == bytes)
    }

    @Test("A missing file, a tampered file and a URL scheme this build lacks are errors that name them")
    func failures() async throws {
        let root = folder()
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let missing = root.appendingPathComponent("nothing.json").path
        let gone = await #expect(throws: RegistryError.self) { try await ModelLoader.load(file: missing) }
        #expect(gone?.message.contains("there is no file '\(missing)'") == true, "\(gone?.message ?? "")")
        #expect(!FileManager.default.fileExists(atPath: missing))

        var text = String(decoding: try await TestArtifacts.bytes(slope: 1, in: root), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"task\" : \"regression\"", with: "\"task\" : \"regressioN\"")
        let tampered = root.appendingPathComponent("t.json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: tampered))
        let changed = await #expect(throws: RegistryError.self) { try await ModelLoader.load(file: tampered) }
        #expect(changed?.code == .invalidArtifact)
        #expect(changed?.message.contains("modified after it was written") == true)

        let s3 = await #expect(throws: RegistryError.self) { try await ModelLoader.load(file: "s3://bucket/m.json") }
        #expect(s3?.message.contains("s3://") == true)
    }
}
