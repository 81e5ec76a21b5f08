import ArgumentParser
import BatCatCore
import BatCatData
import BatCatML
import BatCatRegistry
import BatCatStorage
import BatCatWorkflow
import Foundation
import Logging
import Synchronization

extension BatCat {
    /// `batcat train`: trains a model from a spec.
    struct Train: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "train",
            abstract: "Train a model from a training spec (YAML or JSON) and write its artifact.",
            discussion: """
                Reads the data the spec names, splits it, fits the preprocessing steps and the \
                estimator, evaluates, checks the gate, and writes the artifact (JSON with a SHA-256 \
                digest). A model that fails its gate is not written, and the command exits 1. \
                The same spec and data give the same artifact, byte for byte.

                Examples:
                  batcat train                    the project's train.yaml
                  batcat train examples/diabetes-bmi/train.yaml
                  batcat train spec.yaml --output model/churn.json --format json

                Estimators (the spec's estimator type; settings in the README):
                \(Estimators.helpList())
                """
        )

        @Argument(help: "The training spec: a .yaml, .yml or .json file (default: the project's train.yaml).")
        var spec: String?

        @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the artifact (overrides the spec's output).", valueName: "path"))
        var output: String?

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        @OptionGroup var global: GlobalOptions

        /// The spec given, or the project's `train.yaml` (`.yml`, `.json`).
        func specPath() throws -> String {
            if let spec { return spec }
            for name in ["train.yaml", "train.yml", "train.json"] {
                let path = (global.projectDirectory as NSString).appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: path) { return path }
            }
            throw CLIError(
                "no training spec was given, and there is no train.yaml in the project folder (\(global.projectDirectory == "." ? "the current folder" : global.projectDirectory))",
                hints: ["pass the spec: batcat train path/to/spec.yaml", "or start a project with one: batcat new NAME"])
        }

        func run() async throws {
            let logger = try global.bootstrapLoggingFromConfiguration(label: "batcat.train")
            let spec = try specPath()
            let start = ContinuousClock.now
            let progress = Progress(enabled: !global.quiet, logger: logger)
            let run = try await Training.run(TrainingRequest(spec: spec, output: output, progress: { progress.step($0) }), logger: logger)
            progress.finish()
            let result = run.result
            let artifact = result.artifact
            let digest = run.digest
            let outputPath = run.output
            let estimator = Describe.estimatorName(artifact.hyperparameters.estimator)
            let evaluatedOn = artifact.training.testRows > 0 ? "\(artifact.training.testRows) test rows" : "the training rows"
            for warning in result.warnings {
                if !global.quiet { Console.err("warning: \(warning)\n") }
            }
            switch format {
            case .json:
                Console.out(
                    try JSONReport.encode(
                        TrainReport(
                            name: artifact.name, task: artifact.task, estimator: estimator, metrics: artifact.metrics,
                            gate: result.gate.map { .init(condition: $0.condition.description, value: $0.value, passed: $0.passed) },
                            passed: result.passed, artifact: result.passed ? outputPath : nil, digest: digest,
                            trainRows: artifact.training.trainRows, testRows: artifact.training.testRows,
                            crossValidation: result.crossValidation?.mapValues { .init(mean: $0.mean, std: $0.std) },
                            unavailable: result.unavailable.isEmpty ? nil : result.unavailable,
                            positiveClass: artifact.pipeline.positiveClass?.description, convergence: result.convergence,
                            warnings: result.warnings)))
            case .text:
                var rows = [["metric", "value"]]
                for (name, value) in artifact.metrics.sorted(by: { $0.key < $1.key }) {
                    var line = [name, NumberFormatting.significant(value, digits: 6)]
                    if let cv = result.crossValidation?[name] {
                        line.append(
                            "cv \(NumberFormatting.significant(cv.mean, digits: 4)) ± \(NumberFormatting.significant(cv.std, digits: 2))")
                    }
                    rows.append(line)
                }
                for (name, reason) in result.unavailable.sorted(by: { $0.key < $1.key }) { rows.append([name, "unavailable: \(reason)"]) }
                Console.out(TextTable.render(rows, rightAligned: [1]))
                if let positive = artifact.pipeline.positiveClass { Console.out("positive class: \(positive)\n") }
            }
            guard result.passed else {
                let failed = result.gate.filter { !$0.passed }
                throw CLIError(
                    "the model did not pass its gate: "
                        + failed.map { "\($0.condition) (\($0.condition.metric) is \(NumberFormatting.significant($0.value, digits: 6)))" }
                        .joined(separator: "; "),
                    hints: ["nothing was written; improve the model or relax the gate in \(spec)"])
            }
            if let registration = run.spec.register {
                let settings = try global.settings()
                let registry = try global.registryLocation(settings).open()
                let actor = RegistryOptions.actor(nil)
                var version = try await registry.register(
                    Array(try Data(contentsOf: URL(fileURLWithPath: outputPath))), model: registration.model, by: actor,
                    comment: "batcat train \(spec)")
                if let stageName = registration.stage {
                    guard let stage = Stage(rawValue: stageName) else {
                        throw CLIError(
                            "register.stage '\(stageName)' in \(spec) is not a stage", hints: ["use none, staging or production"])
                    }
                    version = try await registry.promote(
                        registration.model, version: version.version, to: stage, by: actor, comment: "batcat train \(spec)")
                }
                if !global.quiet {
                    Console.err("Registered \(registration.model) version \(version.version) (\(version.stage.rawValue))\n")
                }
            }
            if !global.quiet {
                Console.err(
                    "Trained \(estimator) on \(plural(artifact.training.trainRows, "row")) in \(Console.seconds(since: start)), "
                        + "evaluated on \(evaluatedOn); wrote \(outputPath) (\(digest.prefix(19))…)\n")
            }
        }
    }
}

/// The versioned JSON object `batcat train --format json` prints.
struct TrainReport: Encodable {
    struct Gate: Encodable {
        var condition: String
        var value: Double
        var passed: Bool
    }
    struct Spread: Encodable {
        var mean: Double
        var std: Double
    }
    var version = 1
    var name: String
    var task: String
    var estimator: String
    var metrics: [String: Double]
    var gate: [Gate]
    var passed: Bool
    var artifact: String?
    var digest: String
    var trainRows: Int
    var testRows: Int
    var crossValidation: [String: Spread]?
    var unavailable: [String: String]?
    var positiveClass: String?
    var convergence: Convergence?
    var warnings: [String]
}

/// An error of the command line itself.
struct CLIError: ReportableError {
    var message: String
    var hints: [String]
    var codeName: String { "invalidUsage" }

    init(_ message: String, hints: [String] = []) {
        self.message = message
        self.hints = hints
    }
}

/// Step-by-step progress on standard error, only when it is a terminal.
/// With a logger, each step's duration is also logged at debug level when the next one starts (or at
/// `finish()`), so `-v` shows where the time went.
final class Progress: Sendable {
    private let enabled: Bool
    private let logger: Logger?
    private let current = Mutex<(text: String, start: ContinuousClock.Instant)?>(nil)

    init(enabled: Bool, logger: Logger? = nil) {
        self.enabled = enabled && isatty(2) == 1
        self.logger = logger
    }

    func step(_ text: String) {
        if enabled { Console.err("  \(text)…\n") }
        logFinished(next: text)
    }

    /// Logs the duration of the last step.
    func finish() {
        logFinished(next: nil)
    }

    private func logFinished(next: String?) {
        let now = ContinuousClock.now
        let finished = current.withLock { current in
            defer { current = next.map { ($0, now) } }
            return current
        }
        guard let logger, let finished else { return }
        let seconds = String(format: "%.3f", (now - finished.start).inSeconds)
        logger.debug("step done", metadata: ["step": "\(finished.text)", "seconds": "\(seconds)"])
    }
}
