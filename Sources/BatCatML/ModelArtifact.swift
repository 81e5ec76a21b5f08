import Foundation

/// A trained model as data, never code: the fitted pipeline with its input schema, what it was trained
/// on, its metrics, and the versions that made it. Identified by the SHA-256 digest of its canonical
/// JSON (keys sorted, no spaces), which loading checks.
///
/// On disk it is `{"artifact": {…}, "digest": "sha256:…"}`, pretty-printed.
///
/// ## Topics
/// - ``fileBytes()``
/// - ``load(_:name:)``
/// - ``digest``
public struct ModelArtifact: Codable, Equatable, Sendable {
    /// The format version this BatCat writes and reads.
    public static let currentFormatVersion = 2
    /// The format's name.
    public static let formatName = "batcat.model"

    /// Always ``formatName``.
    public var format: String = ModelArtifact.formatName
    /// The format version the artifact was written in.
    public var formatVersion: Int = ModelArtifact.currentFormatVersion
    /// The BatCat version that trained it.
    public var batcatVersion: String
    /// The model's name (from the spec).
    public var name: String
    /// `regression` or `classification`.
    public var task: String
    /// The fitted pipeline, with the input schema.
    public var pipeline: FittedPipeline
    /// The unfitted pipeline: every step's and the estimator's hyperparameters.
    public var hyperparameters: Pipeline
    /// Evaluation metrics by name (`r2`, `accuracy`, …).
    public var metrics: [String: Double]
    /// The confusion matrix on the evaluation rows, for classifiers (rows: true class, columns: predicted).
    public var confusionMatrix: [[Int]]?
    /// The classes of the confusion matrix when they are not the model's: the evaluation rows held classes
    /// the model never saw (`nil` otherwise).
    public var confusionClasses: [ClassLabel]?
    /// What the model was trained on.
    public var training: TrainingRecord

    /// The training data's identity and the split.
    public struct TrainingRecord: Codable, Equatable, Sendable {
        /// The fingerprint of the feature and target columns of all rows: from format version 2 a tree of SHA-256
        /// digests of 4 MiB chunks (``DataFingerprint``, `docs/FINGERPRINT.md`); in version 1, one SHA-256 of the same bytes.
        public var dataFingerprint: String
        /// Rows in the data.
        public var rows: Int
        /// Rows fitted on.
        public var trainRows: Int
        /// Rows evaluated on (0: metrics are on the training rows).
        public var testRows: Int
        /// The seed of every random choice.
        public var seed: UInt64
        /// How the rows were split, in words.
        public var split: String
    }

    /// The canonical bytes the digest is taken over.
    public func canonicalBytes() throws(MLError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(self))
        } catch {
            throw MLError(.artifactCorrupt, "the artifact cannot be encoded: \(error)")
        }
    }

    /// The artifact's identity: `sha256:` and the hex digest of ``canonicalBytes()``.
    public var digest: String {
        get throws(MLError) { SHA256Hasher.digest(try canonicalBytes()) }
    }

    private struct File: Codable {
        var artifact: ModelArtifact
        var digest: String
    }

    private struct Header: Decodable {
        struct Inner: Decodable {
            var format: String?
            var formatVersion: Int?
        }
        var artifact: Inner?
        var digest: String?
    }

    /// The file's bytes: pretty JSON with the digest.
    public func fileBytes() throws(MLError) -> [UInt8] {
        try fileBytes(digest: try digest)
    }

    /// The file's bytes with a digest already computed (``SealedArtifact/fileBytes()``).
    fileprivate func fileBytes(digest: String) throws(MLError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(File(artifact: self, digest: digest))) + [0x0A]
        } catch let error as MLError {
            throw error
        } catch {
            throw MLError(.artifactCorrupt, "the artifact cannot be encoded: \(error)")
        }
    }

    /// Reads an artifact and checks its digest; `name` (a path) is used in messages.
    public static func load(_ bytes: [UInt8], name: String) throws(MLError) -> ModelArtifact {
        try open(bytes, name: name).artifact
    }

    /// The artifact with its digest, computed once: what is stored, served and scored carries this.
    public func sealed() throws(MLError) -> SealedArtifact {
        SealedArtifact(artifact: self, digest: try digest)
    }

    /// Reads an artifact, checks its digest, and keeps it beside the artifact so nothing recomputes it.
    public static func open(_ bytes: [UInt8], name: String) throws(MLError) -> SealedArtifact {
        let decoder = JSONDecoder()
        guard let header = try? decoder.decode(Header.self, from: Data(bytes)), let inner = header.artifact else {
            throw MLError(
                .artifactCorrupt, "\(name) is not a BatCat model artifact (it is not JSON with an 'artifact' object)",
                hints: ["pass the .json file that `batcat train` wrote"])
        }
        guard inner.format == formatName else {
            throw MLError(.artifactCorrupt, "\(name) is not a BatCat model artifact (format '\(inner.format ?? "none")')")
        }
        guard let version = inner.formatVersion, version <= currentFormatVersion, version >= 1 else {
            throw MLError(
                .artifactVersion,
                "\(name) has artifact format version \(inner.formatVersion.map(String.init) ?? "none"), but this BatCat reads versions 1 to \(currentFormatVersion)",
                hints: ["use the BatCat version that trained it, or retrain the model with this one"])
        }
        let file: File
        do {
            file = try decoder.decode(File.self, from: Data(bytes))
        } catch {
            throw MLError(.artifactCorrupt, "\(name) is damaged: \(describe(error))", hints: ["retrain the model, or restore the file"])
        }
        let actual = try file.artifact.digest
        guard actual == file.digest else {
            throw MLError(
                .artifactCorrupt, "\(name) was modified after it was written: its digest does not match its contents",
                hints: ["an artifact must not be edited by hand; retrain the model, or restore the file"])
        }
        return SealedArtifact(artifact: file.artifact, digest: actual)
    }

    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(
                in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key '\(path(context.codingPath + [key]))'"
        case .typeMismatch(_, let context): return "wrong type at '\(path(context.codingPath))': \(context.debugDescription)"
        case .valueNotFound(_, let context): return "missing value at '\(path(context.codingPath))'"
        case .dataCorrupted(let context): return "\(context.debugDescription) at '\(path(context.codingPath))'"
        @unknown default: return "\(error)"
        }
    }
}

/// An artifact that was read and digest-checked (or trained and digested) once, with its digest.
///
/// Its parts cannot change, so its digest stays true: serving, scoring and the registry take this and never
/// compute the digest again.
public struct SealedArtifact: Sendable, Equatable {
    /// The artifact.
    public let artifact: ModelArtifact
    /// `sha256:` and the hex digest of the artifact's canonical bytes.
    public let digest: String

    fileprivate init(artifact: ModelArtifact, digest: String) {
        self.artifact = artifact
        self.digest = digest
    }

    /// The file's bytes: pretty JSON with the digest.
    public func fileBytes() throws(MLError) -> [UInt8] {
        try artifact.fileBytes(digest: digest)
    }
}
