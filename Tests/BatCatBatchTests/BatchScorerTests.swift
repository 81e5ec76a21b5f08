import BatCatBatch
import BatCatData
import BatCatML
import BatCatStorage
import Foundation
import Logging
import Testing

@Suite("Batch scoring")
struct BatchScorerTests {
    static let artifact: ModelArtifact = {
        let frame = try! DataFrame(columns: [
            Column("id", ints: Array(0..<50)), Column("x", doubles: (0..<50).map(Double.init)),
            Column("y", doubles: (0..<50).map { 2 * Double($0) + 1 }),
        ])
        let spec = TrainingSpec(name: "line", data: "-", target: "y", features: ["x"], estimator: .linearRegression(LinearRegression()))
        return try! Trainer.train(spec, frame: frame, options: TrainingOptions(version: "t")).artifact
    }()

    private func folders() throws -> (URL, LocalObjectStore, LocalObjectStore) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("batcat-batch-\(UUID().uuidString)")
        let input = try LocalObjectStore(root: root.appendingPathComponent("in").path)
        let output = try LocalObjectStore(root: root.appendingPathComponent("out").path)
        return (root, input, output)
    }

    private func scorer(
        _ input: LocalObjectStore, _ output: LocalObjectStore, _ configure: (inout ScoreOptions) -> Void = { _ in }
    ) -> BatchScorer {
        var options = ScoreOptions()
        options.chunkRows = 7
        configure(&options)
        return BatchScorer(
            modelName: "line", modelVersion: 1, artifact: Self.artifact, input: input, output: output, options: options,
            logger: Logger(label: "t"))
    }

    private func write(_ store: LocalObjectStore, _ key: String, rows: Range<Int>) async throws {
        let text = "id,x\n" + rows.map { "\($0),\(Double($0) / 2)\n" }.joined()
        try await store.put(Array(text.utf8), at: key)
    }

    @Test("Every CSV in a folder is scored: ids, then the prediction; a manifest records the run")
    func folder() async throws {
        let (root, input, output) = try folders()
        defer { try? FileManager.default.removeItem(at: root) }
        try await write(input, "a.csv", rows: 0..<20)
        try await write(input, "b.csv", rows: 100..<103)
        let manifest = try await scorer(input, output).run(try await BatchScorer.inputs(in: input).map(\.key))
        #expect(manifest.files.map(\.input) == ["a.csv", "b.csv"])
        #expect(manifest.files.map(\.rows) == [20, 3])
        let b = String(decoding: try await output.get("b.predictions.csv"), as: UTF8.self)
        #expect(b == "id,prediction\n100,101.0\n101,102.0\n102,103.0\n")
        #expect(try await output.list(prefix: "_batcat/runs/").count == 1)
    }

    @Test("An input without a feature the model needs is refused, naming the file, the column and the features")
    func missingFeature() async throws {
        let (root, input, output) = try folders()
        defer { try? FileManager.default.removeItem(at: root) }
        try await input.put(Array("id,z\n1,0.5\n".utf8), at: "nox.csv")
        await #expect {
            try await scorer(input, output).run(["nox.csv"])
        } throws: { error in
            "\(error)".hasSuffix("/nox.csv has no column named 'x', which the model needs\nhint: the model's features are: x")
        }
        #expect(try await !output.exists("nox.predictions.csv"))
    }

    @Test("A rerun skips inputs already scored with the same model, and rescoring a changed input")
    func rerun() async throws {
        let (root, input, output) = try folders()
        defer { try? FileManager.default.removeItem(at: root) }
        try await write(input, "a.csv", rows: 0..<10)
        try await write(input, "b.csv", rows: 0..<10)
        _ = try await scorer(input, output).run(["a.csv", "b.csv"])
        try await write(input, "b.csv", rows: 0..<11)
        let second = try await scorer(input, output).run(["a.csv", "b.csv"])
        #expect(second.files.map(\.status) == ["skipped", "scored"])
        #expect(second.files[1].rows == 11)
    }

    @Test("N shards together write exactly what one process writes", arguments: [2, 3])
    func shards(count: Int) async throws {
        let (root, input, output) = try folders()
        defer { try? FileManager.default.removeItem(at: root) }
        let keys = (0..<9).map { "part-\($0).csv" }
        for (index, key) in keys.enumerated() { try await write(input, key, rows: (index * 10)..<(index * 10 + 5)) }
        let single = try LocalObjectStore(root: root.appendingPathComponent("single").path)
        _ = try await scorer(input, single).run(keys)
        var covered: [String] = []
        for shard in 0..<count {
            let manifest = try await scorer(input, output) {
                $0.shardIndex = shard; $0.shardCount = count
            }.run(keys)
            covered += manifest.files.map(\.input)
        }
        #expect(covered.sorted() == keys.sorted())
        for key in keys {
            let name = BatchScorer.outputKey(for: key)
            #expect(try await output.get(name) == single.get(name))
        }
    }

    @Test("Bad rows stop the run with the file and line, or go to the rejects file with the reason")
    func badRows() async throws {
        let (root, input, output) = try folders()
        defer { try? FileManager.default.removeItem(at: root) }
        try await input.put(Array("id,x\n1,0.5\n2,oops\n3,\n4,1.5\n".utf8), at: "bad.csv")
        await #expect {
            try await scorer(input, output).run(["bad.csv"])
        } throws: { error in
            "\(error)".contains("bad.csv:3:3: the value 'oops' in column 'x' is not a number")
        }
        #expect(try await !output.exists("bad.predictions.csv"))
        let manifest = try await scorer(input, output) { $0.onBadRows = .skip }.run(["bad.csv"])
        #expect(manifest.files[0].rows == 2)
        #expect(manifest.files[0].rejected == 2)
        #expect(String(decoding: try await output.get("bad.predictions.csv"), as: UTF8.self) == "id,prediction\n1,2.0\n4,4.0\n")
        let rejects = String(decoding: try await output.get("bad.rejects.csv"), as: UTF8.self)
        #expect(rejects.contains(",2,\"feature 'x' is missing, and the model has no imputer for it\""))
        #expect(rejects.contains("3,,the value 'oops' in column 'x' is not a number"))
    }

    @Test("The target column of a scoring input is not read: a stray value in it stops nothing, and it is not written")
    func targetLeftOut() async throws {
        let (root, input, output) = try folders()
        defer { try? FileManager.default.removeItem(at: root) }
        // The stray text lies past the rows type inference looks at.
        let rows = (0..<1500).map { "\($0),\(Double($0) / 2),\($0 == 1200 ? "unknown" : String(Double($0) + 1))\n" }
        try await input.put(Array(("id,x,y\n" + rows.joined()).utf8), at: "labelled.csv")
        let manifest = try await scorer(input, output) { $0.chunkRows = 100_000 }.run(["labelled.csv"])
        #expect(manifest.files[0].rows == 1500)
        #expect(manifest.files[0].rejected == 0)
        let written = String(decoding: try await output.get("labelled.predictions.csv"), as: UTF8.self)
        #expect(written.hasPrefix("id,prediction\n0,1.0\n1,2.0\n"))
    }
}
