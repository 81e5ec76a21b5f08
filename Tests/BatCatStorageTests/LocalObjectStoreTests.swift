import BatCatData
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
        let url = try ObjectStores.object("file:///data/in.csv")
        #expect((url.store as? LocalObjectStore)?.root.path == "/data" && url.key == "in.csv")
        let plain = try ObjectStores.object("data/in.csv")
        #expect(plain.key == "in.csv" && plain.description == "data/in.csv")
        let s3 = #expect(throws: StorageError.self) { try ObjectStores.object("s3://bucket/in.csv") }
        #expect(s3?.message == "this build of BatCat cannot open 's3://' locations (s3://bucket/in.csv)")
    }

    @Test("A byte range reads that part of an object; a range past the end is cut short")
    func ranges() async throws {
        let (store, root) = try store()
        defer { try? FileManager.default.removeItem(at: root) }
        try await store.put(Array("0123456789".utf8), at: "a/digits.txt")
        #expect(try await store.get("a/digits.txt", range: 2..<5) == Array("234".utf8))
        #expect(try await store.get("a/digits.txt", range: 8..<20) == Array("89".utf8))
        #expect(try await store.get("a/digits.txt", range: 10..<12) == [])
        let missing = await #expect(throws: StorageError.self) { try await store.get("a/none.txt", range: 0..<1) }
        #expect(missing?.code == .notFound)
    }

    @Test("A listing comes a page at a time, in key order, and the pages together are the whole listing")
    func pages() async throws {
        let (store, root) = try store()
        defer { try? FileManager.default.removeItem(at: root) }
        for index in 0..<7 { try await store.put([UInt8(index)], at: "p/\(index).bin") }
        try await store.put([9], at: "q/other.bin")
        var keys: [String] = []
        var after: String?
        var pages = 0
        repeat {
            let page = try await store.list(prefix: "p/", after: after, limit: 3)
            #expect(page.objects.count <= 3)
            keys += page.objects.map(\.key)
            after = page.next
            pages += 1
        } while after != nil
        #expect(pages == 3)
        #expect(keys == (0..<7).map { "p/\($0).bin" })
        #expect(try await store.list(prefix: "p/").map(\.key) == keys)
    }

    @Test("A conditional put writes only when nothing is there, or when the object is still the revision read")
    func conditionalPut() async throws {
        let (store, root) = try store()
        defer { try? FileManager.default.removeItem(at: root) }
        try await store.put(Array("first".utf8), at: "lock/owner", condition: .absent)
        let taken = await #expect(throws: StorageError.self) { try await store.put(Array("second".utf8), at: "lock/owner", condition: .absent) }
        #expect(taken?.code == .conditionFailed)
        #expect(try await store.get("lock/owner") == Array("first".utf8))
        let revision = try await store.revision(of: "lock/owner")
        try await store.put(Array("third".utf8), at: "lock/owner", condition: .revision(revision))
        let stale = await #expect(throws: StorageError.self) { try await store.put(Array("fourth".utf8), at: "lock/owner", condition: .revision(revision)) }
        #expect(stale?.code == .conditionFailed)
        #expect(try await store.get("lock/owner") == Array("third".utf8))
        // Nothing of the refused writes is left behind, not even a temporary file.
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("lock").path).filter { $0.hasPrefix(".") && $0 != ".batcat.lock" } == [])
    }

    @Test("What a key names: an object with its size, a folder, or nothing")
    func kinds() async throws {
        let (store, root) = try store()
        defer { try? FileManager.default.removeItem(at: root) }
        try await store.put(Array("abc".utf8), at: "f/x.csv")
        #expect(try await store.kind(of: "f/x.csv") == .object(size: 3))
        #expect(try await store.kind(of: "f") == .folder)
        #expect(try await store.kind(of: "g") == .missing)
        #expect(try await !store.exists("f"))
    }

    @Test("A file the user names may be a link to anywhere: it is followed, as the shell does")
    func namedFileFollowsLinks() async throws {
        let (_, root) = try store()
        defer { try? FileManager.default.removeItem(at: root) }
        let elsewhere = FileManager.default.temporaryDirectory.appendingPathComponent("batcat-elsewhere-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        try Data("a\n1\n".utf8).write(to: elsewhere)
        let link = root.appendingPathComponent("data.csv")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: elsewhere.path)
        #expect(try await ObjectStores.read(link.path) == Array("a\n1\n".utf8))
    }

    @Test("A registered scheme is opened by its URLs; relative locations are taken from a base folder")
    func registeredScheme() async throws {
        let (_, root) = try store()
        defer { try? FileManager.default.removeItem(at: root) }
        ObjectStores.register(FolderScheme(root: root.path))
        try await ObjectStores.object("test-mem://in/a.csv").write(Array("x\n1\n".utf8))
        #expect(try await ObjectStores.read("test-mem://in/a.csv") == Array("x\n1\n".utf8))
        #expect(try await ObjectStores.open("test-mem://in").list(prefix: "").map(\.key) == ["a.csv"])
        #expect(ObjectStores.resolve("a.csv", against: "test-mem://in") == "test-mem://in/a.csv")
        #expect(ObjectStores.resolve("s3://b/k.csv", against: "/specs") == "s3://b/k.csv")
        #expect(ObjectStores.resolve("/abs/k.csv", against: "/specs") == "/abs/k.csv")
        let frame = try await TableSources.source("test-mem://in/a.csv").read().frame
        #expect(frame.columnNames == ["x"] && frame.rowCount == 1)
    }
}

/// A toy scheme for the router test: `test-mem://PATH` is PATH below a local folder.
struct FolderScheme: ObjectStoreScheme {
    let root: String
    var scheme: String { "test-mem" }
    func path(_ location: String) -> String { String(location.dropFirst("test-mem://".count)) }
    func store(at location: String) throws(StorageError) -> any ObjectStore {
        try LocalObjectStore(root: root + "/" + path(location))
    }
    func object(at location: String) throws(StorageError) -> ObjectLocation {
        let parts = path(location).split(separator: "/").map(String.init)
        return ObjectLocation(
            store: try LocalObjectStore(root: ([root] + parts.dropLast()).joined(separator: "/")), key: parts.last ?? "",
            description: location)
    }
    func resolve(_ location: String, against base: String) -> String { base + "/" + location }
}
