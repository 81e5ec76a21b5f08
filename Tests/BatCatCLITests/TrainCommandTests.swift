import BatCatCore
import BatCatML
import Foundation
import Testing

@Suite("batcat train, evaluate, predict, inspect")
struct TrainCommandTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("examples")

    /// A work folder holding a copy of one example.
    private func example(_ name: String) throws -> WorkFolder {
        let work = try WorkFolder()
        let copy = work.url.appendingPathComponent(name)
        try FileManager.default.copyItem(at: Self.examples.appendingPathComponent(name), to: copy)
        // Artifacts a developer trained in the examples folder are not part of the example.
        for file in try FileManager.default.contentsOfDirectory(atPath: copy.path) where file.hasSuffix(".model.json") {
            try FileManager.default.removeItem(at: copy.appendingPathComponent(file))
        }
        return work
    }

    @Test("diabetes-bmi trains to scikit-learn's metrics and writes its artifact")
    func diabetes() throws {
        let work = try example("diabetes-bmi")
        let transcript = try Transcript.run(["train", "diabetes-bmi/train.yaml"], in: work.url)
        #expect(transcript.status == 0, "\(transcript)")
        #expect(transcript.stdout == "metric     value\nmae      41.2271\nmse      2548.07\nr2      0.472575\nrmse     50.4784\n")
        let summary =
            #/^Trained linear-regression \(normal\) on 422 rows in <t> s, evaluated on 20 test rows; wrote diabetes-bmi/diabetes-bmi\.model\.json \(sha256:[0-9a-f]{12}…\)\n$/#
        #expect(try summary.wholeMatch(in: transcript.stderr) != nil, "\(transcript.stderr)")
        #expect(FileManager.default.fileExists(atPath: work.url.appendingPathComponent("diabetes-bmi/diabetes-bmi.model.json").path))
    }

    @Test("With -v, each step of training logs how long it took, in order")
    func stepTimes() throws {
        let work = try example("diabetes-bmi")
        let transcript = try Transcript.run(["train", "diabetes-bmi/train.yaml", "-v"], in: work.url)
        #expect(transcript.status == 0, "\(transcript)")
        let steps = transcript.stderr.split(separator: "\n").compactMap { line -> String? in
            guard line.contains("debug batcat.train: step done"),
                let match = line.firstMatch(of: #/seconds=[0-9]+\.[0-9]{3} step="([^"]+)"/#)
            else { return nil }
            return String(match.1)
        }
        #expect(
            steps == [
                "reading diabetes.csv", "fingerprinting 442 rows in the background", "fitting on 422 rows", "evaluating on 20 rows",
                "waiting for the fingerprint", "writing diabetes-bmi/diabetes-bmi.model.json",
            ], "\(transcript.stderr)")
    }

    @Test("A nearest-neighbour spec trains, passes the example's gate, and inspect says the training rows are in the artifact")
    func neighbours() throws {
        let work = try example("breast-cancer")
        let spec = try String(contentsOf: work.url.appendingPathComponent("breast-cancer/train.yaml"), encoding: .utf8)
        try work.write(
            "breast-cancer/knn.yaml",
            spec.replacingOccurrences(of: "  type: logisticRegression\n  c: 1.0", with: "  type: kNeighborsClassifier\n  nNeighbors: 7\n  weights: distance"))
        let trained = try Transcript.run(["train", "breast-cancer/knn.yaml", "-o", "knn.json", "-q"], in: work.url)
        #expect(trained.status == 0, "\(trained)")
        let inspect = try Transcript.run(["inspect", "knn.json"], in: work.url)
        #expect(inspect.stdout.contains("estimator   k-nearest-neighbours (7, euclidean, distance)"), "\(inspect)")
        #expect(inspect.stdout.contains("kept data   the 559 training rows × 10 features (43 KiB of numbers) are kept in the artifact, with a k-d tree over them"), "\(inspect)")
    }

    @Test("The same spec and data trained in two processes give byte-identical artifacts")
    func reproducible() throws {
        let work = try example("breast-cancer")
        let first = try Transcript.run(["train", "breast-cancer/train.yaml", "-o", "one.json", "--format", "json"], in: work.url)
        let second = try Transcript.run(["train", "breast-cancer/train.yaml", "-o", "two.json", "--format", "json"], in: work.url)
        #expect(first.status == 0 && second.status == 0)
        let one = try Data(contentsOf: work.url.appendingPathComponent("one.json"))
        let two = try Data(contentsOf: work.url.appendingPathComponent("two.json"))
        #expect(one == two)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        #expect(report["version"] as? Int == 1)
        #expect((report["metrics"] as? [String: Double])?["accuracy"] ?? 0 >= 0.95)
        #expect(
            report["digest"] as? String == (try JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as? [String: Any])?["digest"]
                as? String)
        #expect(report["artifact"] as? String == "one.json")
    }

    @Test("read: trains from the same data written with ';' and another missing marker, to the same artifact")
    func readSettings() throws {
        let work = try example("breast-cancer")
        let folder = work.url.appendingPathComponent("breast-cancer")
        let data = try String(contentsOf: folder.appendingPathComponent("biopsy.csv"), encoding: .utf8)
        try work.write(
            "breast-cancer/biopsy-semicolons.csv", data.replacingOccurrences(of: ",", with: ";").replacingOccurrences(of: "?", with: "n/a"))
        let spec = try String(contentsOf: folder.appendingPathComponent("train.yaml"), encoding: .utf8)
        try work.write(
            "breast-cancer/semicolons.yaml",
            spec.replacingOccurrences(of: "data: biopsy.csv", with: "data: biopsy-semicolons.csv\nread: {delimiter: ';', missing: [n/a]}"))
        let comma = try Transcript.run(["train", "breast-cancer/train.yaml", "-o", "comma.json", "--format", "json"], in: work.url)
        let semicolon = try Transcript.run(["train", "breast-cancer/semicolons.yaml", "-o", "semi.json", "--format", "json"], in: work.url)
        #expect(comma.status == 0 && semicolon.status == 0, "\(semicolon)")
        let digest = { (run: Transcript) in (try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])?["digest"] as? String }
        #expect(digest(comma) != nil && digest(comma) == digest(semicolon))
        // Without read:, the file is one column and the spec's columns are not in it; a warning says what to add.
        try work.write("breast-cancer/unread.yaml", spec.replacingOccurrences(of: "data: biopsy.csv", with: "data: biopsy-semicolons.csv"))
        let unread = try Transcript.run(["train", "breast-cancer/unread.yaml", "-q"], in: work.url)
        #expect(unread.status == 1)
        #expect(unread.stderr.contains("whose name holds ';': add read: {delimiter: ';'} to the spec"), "\(unread)")
    }

    @Test("A model that fails its gate is not written and the command exits 1, naming the gate")
    func failedGate() throws {
        let work = try example("diabetes-bmi")
        let spec = try String(contentsOf: work.url.appendingPathComponent("diabetes-bmi/train.yaml"), encoding: .utf8)
        try work.write("diabetes-bmi/strict.yaml", spec.replacingOccurrences(of: "r2 >= 0.2", with: "r2 >= 0.9"))
        let transcript = try Transcript.run(["train", "diabetes-bmi/strict.yaml", "-q"], in: work.url)
        #expect(transcript.status == 1)
        #expect(
            transcript.stderr
                == "error: the model did not pass its gate: r2 >= 0.9 (r2 is 0.472575)\nhint: nothing was written; improve the model or relax the gate in diabetes-bmi/strict.yaml\n"
        )
        #expect(!FileManager.default.fileExists(atPath: work.url.appendingPathComponent("diabetes-bmi/diabetes-bmi.model.json").path))
    }

    @Test("A misspelt setting is named with the right spelling")
    func misspelt() throws {
        let work = try example("diabetes-bmi")
        try work.write(
            "diabetes-bmi/typo.yaml",
            "name: x\ndata: diabetes.csv\ntarget: target\nestimator:\n  type: linearRegression\n  learning_rate: 0.1\n")
        let transcript = try Transcript.run(["train", "diabetes-bmi/typo.yaml"], in: work.url)
        #expect(transcript.status == 1)
        #expect(
            transcript.stderr.hasPrefix(
                "error: diabetes-bmi/typo.yaml: estimator.learning_rate: linearRegression has no setting 'learning_rate'"))
        #expect(transcript.stderr.contains("(did you mean 'learningRate'?)"))
    }

    @Test("evaluate, predict and inspect read the artifact; a tampered one is refused")
    func useArtifact() throws {
        let work = try example("breast-cancer")
        _ = try Transcript.run(["train", "breast-cancer/train.yaml", "-q"], in: work.url)
        let artifact = "breast-cancer/breast-cancer.model.json"
        let evaluate = try Transcript.run(["evaluate", artifact, "breast-cancer/biopsy.csv", "-q"], in: work.url)
        #expect(evaluate.status == 0)
        #expect(evaluate.stdout.contains("true \\ predicted"))
        let predict = try Transcript.run(["predict", artifact, "breast-cancer/biopsy.csv", "--keep", "id", "-q"], in: work.url)
        #expect(predict.stdout.hasPrefix("id,prediction,probability_2,probability_4\n1000025,2,"))
        #expect(predict.stdout.split(separator: "\n").count == 700)
        let inspect = try Transcript.run(["inspect", artifact], in: work.url)
        #expect(inspect.stdout.contains("task        classification (classes 2, 4)"))
        #expect(inspect.stdout.contains("bare_nuclei                  int   yes"))
        let path = work.url.appendingPathComponent(artifact)
        let text = try String(contentsOf: path, encoding: .utf8).replacingOccurrences(of: "\"seed\" : 7", with: "\"seed\" : 8")
        try Data(text.utf8).write(to: path)
        let tampered = try Transcript.run(["inspect", artifact], in: work.url)
        #expect(tampered.status == 1)
        #expect(tampered.stderr.hasPrefix("error: \(artifact) was modified after it was written"))
    }

    @Test("A feature missing from the input is named")
    func missingFeature() throws {
        let work = try example("diabetes-bmi")
        _ = try Transcript.run(["train", "diabetes-bmi/train.yaml", "-q"], in: work.url)
        try work.write("new.csv", "age,sex\n1,2\n")
        let transcript = try Transcript.run(["predict", "diabetes-bmi/diabetes-bmi.model.json", "new.csv"], in: work.url)
        #expect(transcript.status == 1)
        #expect(transcript.stderr == "error: the input has no column 'bmi', which the model needs\nhint: the model's features are: bmi\n")
    }

    @Test("A spec with register: puts the artifact in the registry and promotes it")
    func registerFromSpec() throws {
        let work = try WorkFolder()
        try work.copyDiabetesData(into: "d")
        try work.write(
            "d/spec.yaml",
            "name: d\ndata: diabetes.csv\ntarget: target\nfeatures: [bmi]\nestimator: {type: linearRegression}\nregister: {model: diabetes, stage: production}\n"
        )
        let train = try Transcript.run(["train", "d/spec.yaml"], in: work.url)
        #expect(train.status == 0, "\(train)")
        #expect(train.stderr.contains("Registered diabetes version 1 (production)"))
        let list = try Transcript.run(["registry", "list", "diabetes", "--format", "json"], in: work.url)
        let object = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any]
        let versions = object?["versions"] as? [[String: Any]]
        #expect(versions?.first?["stage"] as? String == "production")
    }

    @Test("swift-crypto's SHA-256 and BatCatML's give the same digest")
    func hashersAgree() {
        var generator = SeededGenerator(seed: 3)
        let bytes = (0..<100_003).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        var crypto = FingerprintHasher()
        var ours = SHA256Hasher()
        bytes.withUnsafeBytes { raw in
            crypto.update(raw)
            ours.update(raw)
        }
        #expect(crypto.finalize() == ours.finalize())
    }
}
