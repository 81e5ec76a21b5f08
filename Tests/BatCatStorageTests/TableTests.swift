import BatCatData
import BatCatStorage
import Foundation
import Testing

@Suite("Tables by location")
struct TableTests {
    @Test("A CSV object is read whole, in chunks, or only some columns; its schema comes from the first rows")
    func readsCSV() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("batcat-tables-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let file = root.appendingPathComponent("t.csv").path
        try Data("a,b,c\n1,x,2.5\n2,y,3.5\n3,z,4.5\n".utf8).write(to: URL(fileURLWithPath: file))
        let table = try TableSources.source(file)
        #expect(try await table.schema().names == ["a", "b", "c"])
        let (frame, report) = try await table.read()
        #expect(frame.rowCount == 3 && report.rows == 3)
        #expect(try await table.read(columns: ["c", "a"]).frame.columnNames == ["c", "a"])
        let chunks = try await table.chunks(rows: 2, columns: nil)
        var sizes: [Int] = []
        while let chunk = try await chunks.next() { sizes.append(chunk.rowCount) }
        #expect(sizes == [2, 1])
    }

    @Test("A table sink shows nothing until commit, and nothing at all after abort")
    func sinkIsAllOrNothing() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("batcat-tables-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let frame = try DataFrame(columns: [Column("x", doubles: [1, 2.5]), Column("y", doubles: [3, 4])])
        let path = root.appendingPathComponent("out/p.csv").path
        let sink = try TableSources.sink(path)
        try await sink.write(frame)
        #expect(!FileManager.default.fileExists(atPath: path))
        try await sink.commit()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == "x,y\n1.0,3.0\n2.5,4.0\n", "\(text.debugDescription)")
        let dropped = try TableSources.sink(root.appendingPathComponent("out/q.csv").path)
        try await dropped.write(frame)
        await dropped.abort()
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("out").path) == ["p.csv"])
    }

    @Test("A CSV that cannot be read keeps the reader's error as its cause")
    func keepsCause() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("batcat-tables-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let file = root.appendingPathComponent("bad.csv").path
        try Data("a,b\n1,2\n3\n".utf8).write(to: URL(fileURLWithPath: file))
        let error = await #expect(throws: StorageError.self) { try await TableSources.source(file).read() }
        #expect(error?.code == .invalidData)
        #expect(error?.cause is DataError)
        let missing = await #expect(throws: StorageError.self) { try await TableSources.source(root.appendingPathComponent("none.csv").path).read() }
        #expect(missing?.code == .notFound)
        #expect(missing?.message.contains("none.csv") == true)
    }
}
