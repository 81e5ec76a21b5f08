import BatCatData
import BatCatML
import BatCatStorage
import Logging

/// Where a scoring job reads and writes: one input object or a folder of inputs, and an output object or folder.
/// Planned before the model is loaded, so a wrong input or output is named first.
public struct ScoringPlan: Sendable {
    /// The input as given.
    public let input: String
    /// Whether the input is one object (else a folder of CSV files).
    public let singleInput: Bool
    let inputStore: any ObjectStore
    let inputKey: String?
    let outputStore: any ObjectStore
    let outputKey: String?

    /// Finds whether `input` is an object or a folder, and where outputs go. An output that names a `.csv` object
    /// is the one output of a single input; otherwise outputs go in the folder `output` (made when missing).
    public init(input: String, output: String) async throws {
        self.input = input
        let object = try ObjectStores.object(input)
        switch try await object.kind() {
        case .missing: throw BatchError(.missingInput, "the input '\(input)' does not exist", hints: ["pass a CSV file or a folder of CSV files"])
        case .object:
            singleInput = true
            (inputStore, inputKey) = (object.store, object.key)
        case .folder:
            singleInput = false
            (inputStore, inputKey) = (try ObjectStores.open(input), nil)
        }
        if !singleInput && output.hasSuffix(".csv") {
            throw BatchError(
                .invalidUsage, "--output \(output) names a CSV file, but the input \(input) is a folder: its outputs go in a folder",
                hints: ["pass a folder as --output (it is made if missing), or a single CSV file as --input"])
        }
        if singleInput && output.hasSuffix(".csv") {
            let target = try ObjectStores.object(output)
            (outputStore, outputKey) = (target.store, target.name)
        } else {
            (outputStore, outputKey) = (try ObjectStores.open(output), nil)
        }
    }
}

/// `batcat score`: a plan's inputs scored once, or its folder watched for new files.
///
/// ```swift
/// let plan = try await ScoringPlan(input: "data/raw", output: "data/result")
/// let job = ScoringJob(plan: plan, modelName: "churn", modelVersion: 3, artifact: sealed, options: ScoreOptions(), logger: logger)
/// let manifest = try await job.runOnce()
/// ```
public struct ScoringJob: Sendable {
    /// Where it reads and writes.
    public let plan: ScoringPlan
    private let scorer: BatchScorer
    private let logger: Logger

    /// A job scoring `plan`'s inputs with the artifact.
    public init(
        plan: ScoringPlan, modelName: String, modelVersion: Int?, artifact: SealedArtifact, options: ScoreOptions, logger: Logger,
        progress: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.plan = plan
        self.logger = logger
        scorer = BatchScorer(
            modelName: modelName, modelVersion: modelVersion, artifact: artifact, input: plan.inputStore, output: plan.outputStore,
            options: options, logger: logger, progress: progress)
    }

    /// The input folder's CSV files to score (names starting with '.' and outputs left out).
    public func pendingInputs() async throws(StorageError) -> [ObjectInfo] {
        try await BatchScorer.inputs(in: plan.inputStore)
    }

    /// Scores the input, or every CSV file in the input folder, once.
    public func runOnce() async throws -> ScoreManifest {
        if let inputKey = plan.inputKey {
            return try await scorer.run([inputKey], outputKeys: plan.outputKey.map { [inputKey: $0] } ?? [:])
        }
        let keys = try await pendingInputs().map(\.key)
        if keys.isEmpty {
            logger.warning(
                "no CSV files to score in the input folder (names starting with '.' and *.predictions.csv, *.rejects.csv are left out)",
                metadata: ["input": "\(plan.input)"])
        }
        return try await scorer.run(keys)
    }

    /// Keeps scoring the input folder's new files until the task is cancelled: a file is scored once its size has
    /// held still for `settle`; names ending in `.part` or `.tmp` are left alone. `scored` gets each run's manifest.
    public func watch(settle: Duration, poll: Duration = .milliseconds(250), scored: (ScoreManifest, ContinuousClock.Instant) -> Void)
        async throws
    {
        var sizes: [String: (size: Int, since: ContinuousClock.Instant)] = [:]
        var done = Set<String>()
        while !Task.isCancelled {
            let now = ContinuousClock.now
            var ready: [String] = []
            for info in try await pendingInputs() where !info.key.hasSuffix(".part") && !info.key.hasSuffix(".tmp") {
                if let seen = sizes[info.key], seen.size == info.size {
                    if now - seen.since >= settle && !done.contains(info.key) { ready.append(info.key) }
                } else {
                    sizes[info.key] = (info.size, now)
                    done.remove(info.key)
                }
            }
            if !ready.isEmpty {
                let manifest = try await scorer.run(ready)
                done.formUnion(ready)
                scored(manifest, now)
            }
            try await Task.sleep(for: poll)
        }
    }
}
