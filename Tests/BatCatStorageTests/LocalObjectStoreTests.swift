import BatCatStorage
import Foundation
import Testing

@Suite("Local object store")
struct LocalObjectStoreTests {
    private func store() throws -> (LocalObjectStore, URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("batcat-store-\(UUID().uuidString)")
        return (try LocalObjectStore(root: root.path), root)
    }

    @Test("Objects are written, read, listed and deleted by key")
    func roundTrip() async throws {
        let (store, root) = try store()
        defer { try? FileManager.default.removeItem(at: root) }
        try await store.put(Array("one".utf8), at: "models/a/1.json")
        try await store.put(Array("two!".utf8), at: "models/b/1.json")
        #expect(try await store.get("models/a/1.json") == Array("one".utf8))
        #expect(try await store.exists("models/a/1.json"))
        #expect(
            try await store.list(prefix: "models/") == [.init(key: "models/a/1.json", size: 3), .init(key: "models/b/1.json", size: 4)])
        try await store.delete("models/a/1.json")
        #expect(try await !store.exists("models/a/1.json"))
        try await store.delete("models/a/1.json")
        let error = await #expect(throws: StorageError.self) { try await store.get("models/a/1.json") }
        #expect(error?.code == .notFound)
    }

    @Test("Keys that would escape the root are refused", arguments: ["../x", "/etc/passwd", "a/../../b", "a//b", "", "a/./b", "a\\b"])
    func escapes(key: String) async throws {
        let (store, root) = try store()
        defer { try? FileManager.default.removeItem(at: root) }
        let error = await #expect(throws: StorageError.self) { try await store.put([1], at: key) }
        #expect(error?.code == .invalidKey)
    }

    @Test("A symbolic link inside the root cannot lead outside it")
    func symlinkEscape() async throws {
        let (store, root) = try store()
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("out").path, withDestinationPath: "/tmp")
        let error = await #expect(throws: StorageError.self) { try await store.put([1], at: "out/escape.txt") }
        #expect(error?.code == .invalidKey)
    }

    @Test("Other schemes are refused with a clear message")
    func schemes() throws {
        let error = #expect(throws: StorageError.self) { try ObjectStores.open("gs://bucket/x") }
        #expect(error?.code == .unsupportedScheme)
        #expect(try ObjectStores.localPath("file:///data/in.csv") == "/data/in.csv")
        #expect(try ObjectStores.localPath("data/in.csv") == "data/in.csv")
        let s3 = #expect(throws: StorageError.self) { try ObjectStores.localPath("s3://bucket/in.csv") }
        #expect(s3?.message == "this build of BatCat cannot open 's3://' locations (s3://bucket/in.csv)")
    }
}
