import BatCatData
import BatCatML
import Foundation
import Testing

@Suite("Model artifacts")
struct ArtifactTests {
    private func artifact() throws -> ModelArtifact {
        let spec = TrainingSpec(
            name: "artifact", data: "-", target: "y", features: ["a", "b"], split: .init(method: .random, test: 0.2),
            estimator: EstimatorChoice(LinearRegression()), gate: ["r2 >= 0.5"])
        return try Trainer.train(spec, frame: try ConformanceTests.data(), options: TrainingOptions(version: "9.9.9")).artifact
    }

    @Test("Writing and loading gives the same artifact, and predictions are bit-identical")
    func roundTrip() throws {
        let original = try artifact()
        let loaded = try ModelArtifact.load(try original.fileBytes(), name: "m.json")
        #expect(loaded == original)
        #expect(try loaded.digest == original.digest)
        let frame = try ConformanceTests.data()
        #expect(try loaded.pipeline.predict(frame).values?.map(\.bitPattern) == original.pipeline.predict(frame).values?.map(\.bitPattern))
    }

    @Test("Linear predictions made column by column are bit-identical to the row-major model's")
    func columnwisePredictions() throws {
        let fitted = try artifact().pipeline
        let frame = try ConformanceTests.data()
        guard let model = fitted.model.as(LinearRegression.Fitted.self) else {
            Issue.record("expected a linear model")
            return
        }
        let rowMajor = try model.predict(try fitted.matrix(for: frame))
        #expect(try fitted.predict(frame).values?.map(\.bitPattern) == rowMajor.map(\.bitPattern))
        let missing = try DataFrame(columns: [Column("a", doubles: [1, nil]), Column("b", doubles: [2, 3])])
        let error = #expect(throws: MLError.self) { try fitted.predict(missing) }
        #expect(error?.message == "column 'a' has 1 missing values")
    }

    @Test("The artifact records what it was trained on")
    func contents() throws {
        let a = try artifact()
        #expect(a.batcatVersion == "9.9.9")
        #expect(a.task == "regression")
        #expect(a.pipeline.features.map(\.name) == ["a", "b"])
        #expect(a.pipeline.features[0].minimum != nil && a.pipeline.features[0].maximum != nil)
        #expect(a.training.rows == 200 && a.training.trainRows == 160 && a.training.testRows == 40)
        #expect(a.training.dataFingerprint.hasPrefix("sha256:") && a.training.dataFingerprint.count == 71)
        #expect(Set(a.metrics.keys) == ["r2", "mse", "rmse", "mae", "explained_variance"])
        #expect(try a.digest.hasPrefix("sha256:"))
    }

    @Test("A tampered artifact is refused")
    func tampered() throws {
        var text = String(decoding: try artifact().fileBytes(), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"name\" : \"artifact\"", with: "\"name\" : \"artifacT\"")
        let error = #expect(throws: MLError.self) { try ModelArtifact.load(Array(text.utf8), name: "m.json") }
        #expect(error?.code == .artifactCorrupt)
        #expect(error?.message == "m.json was modified after it was written: its digest does not match its contents")
    }

    @Test("An unknown format version gets a clear error")
    func futureVersion() throws {
        var text = String(decoding: try artifact().fileBytes(), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"formatVersion\" : 2", with: "\"formatVersion\" : 7")
        let error = #expect(throws: MLError.self) { try ModelArtifact.load(Array(text.utf8), name: "m.json") }
        #expect(error?.code == .artifactVersion)
        #expect(error?.message == "m.json has artifact format version 7, but this BatCat reads versions 1 to 2")
    }

    @Test("An artifact of format version 1 (its fingerprint one SHA-256 stream) still loads, and keeps its version and digest")
    func versionOne() throws {
        var old = try artifact()
        old.formatVersion = 1
        let bytes = try old.fileBytes()
        let loaded = try ModelArtifact.open(bytes, name: "v1.json")
        #expect(loaded.artifact.formatVersion == 1)
        #expect(try loaded.fileBytes() == bytes)
        #expect(try artifact().formatVersion == 2)
    }

    @Test("Something that is not an artifact is said to be so")
    func notAnArtifact() {
        let error = #expect(throws: MLError.self) { try ModelArtifact.load(Array("{\"hello\": 1}".utf8), name: "x.json") }
        #expect(error?.message == "x.json is not a BatCat model artifact (it is not JSON with an 'artifact' object)")
    }

    @Test("Our SHA-256 gives the published test vectors")
    func sha256() {
        #expect(SHA256Hasher.digest(Array("abc".utf8)) == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256Hasher.digest([]) == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256Hasher.digest(long) == "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var pieces = SHA256Hasher()
        for chunk in stride(from: 0, to: long.count, by: 7) { pieces.update(Array(long[chunk..<min(chunk + 7, long.count)])) }
        #expect(pieces.finalize() == SHA256Hasher.digest(long))
    }
}
