import BatCatBatch
import BatCatCore
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
        let spec = TrainingSpec(name: "line", data: "-", target: "y", features: ["x"], estimator: EstimatorChoice(LinearRegression()))
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
    ) throws -> BatchScorer {
        var options = ScoreOptions()
        options.chunkRows = 7
        configure(&options)
        return BatchScorer(
            modelName: "line", modelVersion: 1, artifact: try Self.artifact.sealed(), input: input, output: output, options: options,
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
        let runs = try await output.list(prefix: "_batcat/runs/")
        #expect(runs.count == 1)
        // Named by the run's UTC time to the second, even at midnight.
        #expect(runs.first?.key.contains(/^_batcat\/runs\/\d{4}-\d{2}-\d{2}T\d{6}Z-shard1of1-\d+\.json$/) == true)
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

    /// Rewrites `key` in place (same inode) with `text`; with `keepingTime`, its modification time is set
    /// back to the old one, to the nanosecond.
    private func rewriteInPlace(_ root: URL, _ key: String, _ text: String, keepingTime: Bool) throws {
        let path = root.appendingPathComponent("in").appendingPathComponent(key).path
        var before = stat()
        #expect(stat(path, &before) == 0)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
        guard keepingTime else { return }
        let times = [before.st_atim, before.st_mtim]
        #expect(utimensat(AT_FDCWD, path, times, 0) == 0)
        var after = stat()
        #expect(stat(path, &after) == 0)
        #expect(after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec)
        #expect(after.st_size == before.st_size && after.st_ino == before.st_ino)
    }

    @Test("A rerun knows a rewritten input by its revision without reading it, even at the same size and modification time")
    func rerunByRevision() async throws {
        let (root, input, output) = try folders()
        defer { try? FileManager.default.removeItem(at: root) }
        try await input.put(Array("id,x\n1,1.0\n".utf8), at: "a.csv")
        let first = try await scorer(input, output).run(["a.csv"])
        #expect(first.files[0].inputDigest == nil)
        #expect(first.files[0].inputRevision == (try await input.revision(of: "a.csv")))
        // File times tick with the kernel's clock, every few milliseconds: step past the first write's tick.
        try await Task.sleep(for: .milliseconds(30))
        // Same size, same inode, the old modification time: only the status-change time tells.
        try rewriteInPlace(root, "a.csv", "id,x\n1,4.0\n", keepingTime: true)
        let second = try await scorer(input, output).run(["a.csv"])
        #expect(second.files.map(\.status) == ["scored"])
        #expect(String(decoding: try await output.get("a.predictions.csv"), as: UTF8.self) == "id,prediction\n1,9.0\n")
        let third = try await scorer(input, output).run(["a.csv"])
        #expect(third.files.map(\.status) == ["skipped"])
    }

    @Test("With digests, the manifest holds each input's SHA-256 and a rerun decides by content: a touched file is skipped")
    func rerunByDigest() async throws {
        let (root, input, output) = try folders()
        defer { try? FileManager.default.removeItem(at: root) }
        let text = "id,x\n" + (0..<500).map { "\($0),\(Double($0) / 4)\n" }.joined()
        try await input.put(Array(text.utf8), at: "a.csv")
        let first = try await scorer(input, output) { $0.digestInputs = true }.run(["a.csv"])
        #expect(first.files[0].inputDigest == Fingerprint.sha256(Array(text.utf8)))
        try await Task.sleep(for: .milliseconds(30))
        try rewriteInPlace(root, "a.csv", text, keepingTime: false)
        let touched = try await scorer(input, output) { $0.digestInputs = true }.run(["a.csv"])
        #expect(touched.files.map(\.status) == ["skipped"])
        #expect(touched.files[0].inputDigest == first.files[0].inputDigest)
        // Without digests, the same touch reads as a change.
        let byRevision = try await scorer(input, output).run(["a.csv"])
        #expect(byRevision.files.map(\.status) == ["scored"])
        #expect(byRevision.files[0].inputDigest == nil)
    }

    @Test("A record of earlier work this version cannot read is no record: the input is scored again")
    func unreadableRecord() async throws {
        let (root, input, output) = try folders()
        defer { try? FileManager.default.removeItem(at: root) }
        try await write(input, "a.csv", rows: 0..<3)
        _ = try await scorer(input, output).run(["a.csv"])
        // A record in the first format, which knew inputs by digest alone.
        try await output.put(Array(#"{"input":"a.csv","inputDigest":"sha256:00","output":"a.predictions.csv"}"#.utf8), at: "_batcat/done/a.csv.json")
        let again = try await scorer(input, output).run(["a.csv"])
        #expect(again.files.map(\.status) == ["scored"])
        #expect(again.files[0].rows == 3)
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

    @Test("Infinity in a feature stops the run naming the row and feature, or goes to the rejects file")
    func infinity() async throws {
        let (root, input, output) = try folders()
        defer { try? FileManager.default.removeItem(at: root) }
        try await input.put(Array("id,x\n1,0.5\n2,inf\n3,-inf\n4,1.5\n".utf8), at: "inf.csv")
        await #expect {
            try await scorer(input, output).run(["inf.csv"])
        } throws: { error in
            "\(error)".contains("inf.csv: row 2: feature 'x' is infinite")
        }
        let manifest = try await scorer(input, output) { $0.onBadRows = .skip }.run(["inf.csv"])
        #expect(manifest.files[0].rows == 2 && manifest.files[0].rejected == 2)
        #expect(String(decoding: try await output.get("inf.predictions.csv"), as: UTF8.self) == "id,prediction\n1,2.0\n4,4.0\n")
    }

    @Test("A run removes the unfinished outputs that killed runs left, and leaves a live writer's alone")
    func abandonedParts() async throws {
        let (root, input, output) = try folders()
        defer { try? FileManager.default.removeItem(at: root) }
        try await write(input, "a.csv", rows: 0..<5)
        // The PID of a process that has exited, as a run killed with SIGKILL leaves it.
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let dead = finished.processIdentifier
        let folder = root.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("_batcat/done"), withIntermediateDirectories: true)
        for name in [".a.predictions.csv.part-\(dead)-1", ".b.predictions.csv.part-\(dead)-2", "_batcat/done/.x.json.tmp-\(dead)-3"] {
            try Data("half".utf8).write(to: folder.appendingPathComponent(name))
        }
        let live = ".c.predictions.csv.part-\(getpid())-4"
        try Data("writing".utf8).write(to: folder.appendingPathComponent(live))
        _ = try await scorer(input, output).run(["a.csv"])
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(left == [live, "_batcat", "a.predictions.csv"], "\(left)")
        let done = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("_batcat/done").path)
        #expect(!done.contains { $0.contains(".tmp-") }, "\(done)")
    }

    @Test("A boolean feature is read as in training (true/false), and scored")
    func booleanFeature() async throws {
        let (root, input, output) = try folders()
        defer { try? FileManager.default.removeItem(at: root) }
        let frame = try DataFrame(columns: [
            Column("x", doubles: (0..<20).map(Double.init)), Column("flag", bools: (0..<20).map { $0 % 2 == 0 }),
            Column("y", doubles: (0..<20).map { Double($0) + ($0 % 2 == 0 ? 10 : 0) }),
        ])
        let spec = TrainingSpec(name: "b", data: "-", target: "y", estimator: EstimatorChoice(LinearRegression()))
        let artifact = try Trainer.train(spec, frame: frame, options: TrainingOptions(version: "t")).artifact
        try await input.put(Array("x,flag\n1,false\n2,true\n".utf8), at: "flags.csv")
        let scorer = BatchScorer(
            modelName: "b", modelVersion: 1, artifact: try artifact.sealed(), input: input, output: output, options: ScoreOptions(),
            logger: Logger(label: "t"))
        let manifest = try await scorer.run(["flags.csv"])
        #expect(manifest.files[0].rows == 2)
        let text = String(decoding: try await output.get("flags.predictions.csv"), as: UTF8.self)
        let values = text.split(separator: "\n").dropFirst().compactMap { $0.split(separator: ",").last.flatMap { Double($0) } }
        #expect(values.count == 2 && abs(values[0] - 1) < 1e-9 && abs(values[1] - 12) < 1e-9, "\(text)")
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
