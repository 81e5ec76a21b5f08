import BatCatData
import BatCatML
import Foundation
import Testing

@Suite("The training-data fingerprint: a tree of chunk digests")
struct FingerprintTreeTests {
    struct Reference: Decodable {
        var canonicalLength: Int
        var canonicalSha256: String
        var chunk16: String
        var chunk4MiB: String
    }

    /// The frame make-fingerprint.py describes, column for column.
    static func frame() throws -> DataFrame {
        try DataFrame(columns: [
            Column("bmi", doubles: [21.5, 0, -3.25, 1e300], missing: [false, true, false, false]),
            Column("visits", ints: [3, -7, 0, 1 << 40]),
            Column("smoker", bools: [true, false, false, true]),
            Column("city", strings: ["Lyon", "", "Zürich", "Lyon"], missing: [false, true, false, false]),
            Column("seen", values: .date([0, 86400.5, -1, 1.7e9])),
        ])
    }

    @Test("The fingerprint is the one the documented definition gives, computed independently from it")
    func matchesDefinition() throws {
        let reference = try Fixtures.load("fingerprint.json", as: Reference.self)
        let frame = try Self.frame()
        let canonical = DataFingerprint.canonicalBytes(frame)
        #expect(canonical.count == reference.canonicalLength)
        #expect(SHA256Hasher.digest(canonical) == reference.canonicalSha256)
        #expect(DataFingerprint.of(frame, makeHasher: { SHA256Hasher() }, chunkSize: 16) == reference.chunk16)
        #expect(DataFingerprint.of(frame, makeHasher: { SHA256Hasher() }) == reference.chunk4MiB)
    }

    @Test("Hashed on one core or all, the digest is the same; chunks cut inside columns and across them", arguments: [1, 7, 64, 1000])
    func workers(chunkSize: Int) throws {
        var generator = SeededGenerator(seed: 7)
        let rows = 5_000
        let frame = try DataFrame(columns: [
            Column("a", doubles: (0..<rows).map { _ in Double(generator.next() % 1000) / 7 }),
            Column("b", strings: (0..<rows).map { "v\($0 % 13)" }),
            Column("c", ints: (0..<rows).map { $0 * 3 }),
        ])
        let one = DataFingerprint.of(frame, makeHasher: { SHA256Hasher() }, chunkSize: chunkSize, parallel: false)
        #expect(DataFingerprint.of(frame, makeHasher: { SHA256Hasher() }, chunkSize: chunkSize) == one)
        // By the definition, from the canonical bytes in one array.
        let bytes = DataFingerprint.canonicalBytes(frame)
        var text = "batcat.tree/1 chunk=\(chunkSize) length=\(bytes.count)\n"
        for start in stride(from: 0, to: bytes.count, by: chunkSize) {
            text += SHA256Hasher.digest(Array(bytes[start..<min(start + chunkSize, bytes.count)])) + "\n"
        }
        #expect(SHA256Hasher.digest(Array(text.utf8)) == one)
    }

    @Test("A changed value, a changed missing mark or a renamed column changes the fingerprint")
    func sensitive() throws {
        let base = DataFingerprint.of(try Self.frame(), makeHasher: { SHA256Hasher() })
        var changed = try Self.frame()
        changed = try changed.adding(Column("visits", ints: [3, -7, 0, (1 << 40) + 1]))
        var marked = try Self.frame()
        marked = try marked.adding(Column("bmi", doubles: [21.5, 0, -3.25, 1e300], missing: [false, false, false, false]))
        let renamed = try Self.frame().renaming(["seen": "seen2"])
        for other in [changed, marked, renamed] {
            #expect(DataFingerprint.of(other, makeHasher: { SHA256Hasher() }) != base)
        }
    }
}
