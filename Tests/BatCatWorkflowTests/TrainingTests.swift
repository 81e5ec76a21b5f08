import BatCatCore
import BatCatML
import BatCatStorage
import BatCatWorkflow
import Foundation
import Logging
import Synchronization
import Testing

/// Trains small line models through the training use case, as `batcat train` does.
enum TestArtifacts {
    /// Writes `y = slope·x + 1` for 20 rows and a spec naming it into a fresh folder below `root`, trains it,
    /// and returns the artifact's bytes.
    static func bytes(slope: Double, name: String = "m", in root: URL) async throws -> [UInt8] {
        let folder = root.appendingPathComponent("train-\(name)-\(slope)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let rows = (0..<20).map { "\($0),\(slope * Double($0) + 1)" }
        try Data((["x,y"] + rows).joined(separator: "\n").utf8).write(to: folder.appendingPathComponent("line.csv"))
        let spec = "name: \(name)\ndata: line.csv\ntarget: y\nestimator: {type: linearRegression}\noutput: out/line.model.json\n"
        try Data(spec.utf8).write(to: folder.appendingPathComponent("train.yaml"))
        let outcome = try await Training.run(TrainingRequest(spec: folder.appendingPathComponent("train.yaml").path), logger: Logger(label: "test"))
        return try await ObjectStores.read(outcome.output)
    }
}

@Suite("Training a spec, as a library call")
struct TrainingTests {
    @Test("Locations in a spec are taken from its folder; the artifact written is the one reported, and a rerun gives the same bytes")
    func trainsFromSpec() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("batcat-training-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let steps = StepLog()
        let first = try await TestArtifacts.bytes(slope: 2, name: "line", in: root)
        let spec = root.appendingPathComponent("train-line-2.0/train.yaml").path
        let outcome = try await Training.run(TrainingRequest(spec: spec, progress: { steps.add($0) }), logger: Logger(label: "test"))
        #expect(outcome.result.passed)
        #expect(outcome.output.hasSuffix("train-line-2.0/out/line.model.json"))
        let written = try ModelArtifact.open(try await ObjectStores.read(outcome.output), name: "artifact")
        #expect(written.digest == outcome.digest)
        #expect(try written.fileBytes() == first)
        #expect(abs((written.artifact.metrics["r2"] ?? 0) - 1) < 1e-12)
        #expect(steps.all.first == "reading line.csv" && steps.all.last?.hasPrefix("writing ") == true)
    }

    @Test("A data location this build cannot open is refused before anything is read or written")
    func unknownScheme() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("batcat-training-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let spec = root.appendingPathComponent("train.yaml")
        try Data("name: m\ndata: gs://bucket/x.csv\ntarget: y\nestimator: {type: linearRegression}\n".utf8).write(to: spec)
        let error = await #expect(throws: StorageError.self) {
            try await Training.run(TrainingRequest(spec: spec.path), logger: Logger(label: "test"))
        }
        #expect(error?.code == .unsupportedScheme)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["train.yaml"])
    }
}

/// Steps reported by a run, in order.
final class StepLog: Sendable {
    private let steps = Mutex<[String]>([])
    func add(_ step: String) { steps.withLock { $0.append(step) } }
    var all: [String] { steps.withLock { $0 } }
}
