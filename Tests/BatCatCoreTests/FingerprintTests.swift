import BatCatCore
import Testing

@Suite("Fingerprints")
struct FingerprintTests {
    @Test("SHA-256 matches the published test vector for \"abc\"")
    func knownVector() {
        #expect(Fingerprint.sha256(Array("abc".utf8)) == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("Hashing in pieces gives the same digest as hashing at once")
    func incremental() {
        var hasher = FingerprintHasher()
        hasher.update(Array("a".utf8))
        hasher.update(Array("bc".utf8))
        #expect(hasher.finalize() == Fingerprint.sha256(Array("abc".utf8)))
    }
}
