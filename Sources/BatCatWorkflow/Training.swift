import BatCatCore
import BatCatData
import BatCatML
import BatCatStorage
import Foundation
import Logging

/// What a training run is asked to do.
public struct TrainingRequest: Sendable {
    /// The training spec (YAML or JSON), a path or an object URL.
    public var spec: String
    /// Where to write the artifact, overriding the spec's `output`.
    public var output: String?
    /// The BatCat version recorded in the artifact.
    public var version: String
    /// Called with each step as it starts (`reading data/train.csv`).
    public var progress: @Sendable (String) -> Void

    /// A request to train `spec`.
    public init(spec: String, output: String? = nil, version: String = BatCatVersion.current, progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.spec = spec
        self.output = output
        self.version = version
        self.progress = progress
    }
}

/// What a training run did: the result, the artifact's digest, and where it was written (when the gate passed).
public struct TrainingOutcome: Sendable {
    /// The spec as read.
    public let spec: TrainingSpec
    /// The trained model, its evaluation and the gate's verdict.
    public let result: TrainingResult
    /// The artifact's digest.
    public let digest: String
    /// The artifact's location (written only when ``TrainingResult/passed``).
    public let output: String
}

/// `batcat train`: reads a spec and its data, trains, and writes the artifact when the gate passes.
public enum Training {
    /// Trains the spec `request` names. Locations in the spec are relative to the spec's folder.
    public static func run(_ request: TrainingRequest, logger: Logger) async throws -> TrainingOutcome {
        let spec = try DocumentDecoder.decode(TrainingSpec.self, path: request.spec)
        let folder = URL(fileURLWithPath: request.spec).deletingLastPathComponent().path
        let data = ObjectStores.resolve(spec.data, against: folder)
        let output = request.output ?? ObjectStores.resolve(spec.output ?? "\(spec.name).model.json", against: folder)
        // The output's location is checked before the data is read.
        let destination = try ObjectStores.object(output)
        request.progress("reading \(spec.data)")
        let reading = try spec.read?.options() ?? CSVOptions()
        let table = try TableSources.source(data, csv: reading)
        // With the features listed, only they and the target are parsed (when the header has them all;
        // otherwise the whole table is read and the trainer names what is missing).
        var columns: [String]?
        if let features = spec.features {
            let wanted = features + [spec.target]
            let header = Set(try await table.schema().names)
            if wanted.allSatisfy(header.contains) && Set(wanted).count == wanted.count { columns = wanted }
        }
        let frame = try await table.read(columns: columns).frame
        DataWarnings.oneColumn(frame.columnNames, delimiter: reading.delimiter, file: spec.data, logger: logger) {
            "add read: {delimiter: \($0)} to the spec"
        }
        logger.debug("data read", metadata: ["data.rows": "\(frame.rowCount)", "data.path": "\(data)"])
        let options = TrainingOptions(version: request.version, makeHasher: { FingerprintHasher() }, progress: request.progress)
        // Training is CPU work that waits on its own helpers: it runs on a thread of its own, not the task pool's.
        let result = try await BackgroundWork { () throws(MLError) -> TrainingResult in try Trainer.train(spec, frame: frame, options: options) }
            .value()
        let sealed = try result.artifact.sealed()
        if result.passed {
            request.progress("writing \(output)")
            try await destination.write(try sealed.fileBytes())
        }
        return TrainingOutcome(spec: spec, result: result, digest: sealed.digest, output: output)
    }
}

// swift-crypto's SHA-256 (hardware accelerated) for training-data fingerprints; it gives the same digests as
// BatCatML's own SHA256Hasher.
extension FingerprintHasher: ByteHasher {}
