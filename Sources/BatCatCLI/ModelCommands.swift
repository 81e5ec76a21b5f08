import ArgumentParser
import BatCatCore
import BatCatData
import BatCatML
import BatCatRegistry
import BatCatStorage
import BatCatWorkflow
import Foundation

extension BatCat {
    /// `batcat evaluate`: metrics of an artifact on labelled data.
    struct Evaluate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "evaluate",
            abstract: "Evaluate a model artifact on a CSV file that holds the target column.",
            discussion: """
                Examples:
                  batcat evaluate examples/diabetes-bmi/diabetes-bmi.model.json examples/diabetes-bmi/diabetes.csv
                  batcat evaluate model.json holdout.csv --format json
                """
        )

        @Argument(help: "The model artifact (JSON).")
        var artifact: String

        @Argument(help: "A CSV file with the features and the target.")
        var data: String

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        @OptionGroup var csv: CSVFlags
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            _ = try global.bootstrapLoggingFromConfiguration(label: "batcat.evaluate")
            let start = ContinuousClock.now
            let loaded = try await ModelLoader.load(file: artifact)
            let model = loaded.artifact
            let frame = try await TableSources.source(data, csv: try csv.options()).read().frame
            let evaluation = try Trainer.evaluate(model.pipeline, on: frame)
            let metrics = evaluation.metrics
            for warning in evaluation.warnings where !global.quiet { Console.err("warning: \(warning)\n") }
            switch format {
            case .json:
                Console.out(
                    try JSONReport.encode(
                        EvaluateReport(
                            artifact: artifact, digest: loaded.sealed.digest, rows: frame.rowCount, metrics: metrics,
                            unavailable: evaluation.unavailable.isEmpty ? nil : evaluation.unavailable,
                            positiveClass: model.pipeline.positiveClass?.description,
                            confusionMatrix: evaluation.confusion, confusionClasses: evaluation.classes?.map(\.description),
                            warnings: evaluation.warnings)))
            case .text:
                var rows = [["metric", "value"]]
                for (name, value) in metrics.sorted(by: { $0.key < $1.key }) {
                    rows.append([name, NumberFormatting.significant(value, digits: 6)])
                }
                for (name, reason) in evaluation.unavailable.sorted(by: { $0.key < $1.key }) { rows.append([name, "unavailable: \(reason)"]) }
                Console.out(TextTable.render(rows, rightAligned: [1]))
                if let positive = model.pipeline.positiveClass { Console.out("positive class: \(positive)\n") }
                if let confusion = evaluation.confusion, let classes = evaluation.classes {
                    var table = [["true \\ predicted"] + classes.map(\.description)]
                    for (index, row) in confusion.enumerated() { table.append([classes[index].description] + row.map(String.init)) }
                    Console.out("\n" + TextTable.render(table, rightAligned: Set(1...classes.count)))
                }
            }
            if !global.quiet {
                Console.err(
                    "Evaluated \(model.name) on \(plural(frame.rowCount, "row")) of \(data) in \(Console.seconds(since: start))\n")
            }
        }
    }

    /// `batcat predict`: predictions of an artifact for a CSV file.
    struct Predict: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "predict",
            abstract: "Predict with a model artifact for every row of a CSV file.",
            discussion: """
                Writes the input's columns (or those named with --keep) followed by `prediction`, \
                and for classifiers one `probability_<class>` column per class.

                Examples:
                  batcat predict model.json new.csv -o predictions.csv
                  batcat predict model.json new.csv --keep id > predictions.csv
                """
        )

        @Argument(help: "The model artifact (JSON).")
        var artifact: String

        @Argument(help: "A CSV file with the model's features.")
        var data: String

        @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the predictions; standard output when absent.", valueName: "path"))
        var output: String?

        @Option(help: ArgumentHelp("Input columns to copy into the output (comma-separated); all when absent.", valueName: "a,b"))
        var keep: String?

        @OptionGroup var csv: CSVFlags
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            _ = try global.bootstrapLoggingFromConfiguration(label: "batcat.predict")
            let start = ContinuousClock.now
            // Checked before any work: the output must be a place this build can write to.
            let sink = try output.map { try TableSources.sink($0) }
            let loaded = try await ModelLoader.load(file: artifact)
            let model = loaded.artifact
            let frame = try await TableSources.source(data, csv: try csv.options()).read().frame
            let predictions = try model.pipeline.predict(frame)
            var result = try frame.selecting(columnList(keep) ?? frame.columnNames)
            for column in predictions.outputColumns() { result = try result.adding(column) }
            if let sink {
                try await sink.write(result)
                try await sink.commit()
            } else {
                var writer = CSVWriter(sink: MemoryByteSink())
                try writer.write(result)
                Console.out(writer.sink.text)
            }
            if !global.quiet {
                Console.err(
                    "Predicted \(plural(result.rowCount, "row")) with \(model.name) in \(Console.seconds(since: start))"
                        + (output.map { "; wrote \($0)" } ?? "") + "\n")
            }
        }
    }

    /// `batcat inspect`: what an artifact holds.
    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inspect",
            abstract: "Show what a model artifact holds: features, steps, estimator, metrics, lineage.",
            discussion: """
                Checks the artifact's digest first: an edited artifact is refused.

                Examples:
                  batcat inspect examples/breast-cancer/breast-cancer.model.json
                  batcat inspect model.json --format json
                """
        )

        @Argument(help: "The model artifact (JSON).")
        var artifact: String

        @Option(help: "Output format: text or json (the whole artifact).")
        var format: OutputFormat = .text

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            _ = try global.bootstrapLoggingFromConfiguration(label: "batcat.inspect")
            let loaded = try await ModelLoader.load(file: artifact)
            let model = loaded.artifact
            if format == .json {
                Console.out(String(decoding: try model.fileBytes(), as: UTF8.self))
                return
            }
            let pipeline = model.pipeline
            var text = """
                name        \(model.name)
                task        \(model.task)\(pipeline.classes.map { " (classes \($0.map(\.description).joined(separator: ", ")))" } ?? "")
                target      \(pipeline.target)
                estimator   \(Describe.estimatorName(model.hyperparameters.estimator))
                steps       \(pipeline.steps.isEmpty ? "none" : pipeline.steps.map(\.name).joined(separator: " → "))
                digest      \(loaded.sealed.digest)
                trained by  BatCat \(model.batcatVersion), seed \(model.training.seed)
                data        \(Console.grouped(model.training.rows)) rows, \(model.training.dataFingerprint)
                split       \(model.training.split) (\(model.training.trainRows) train, \(model.training.testRows) test)

                """
            if let stored = pipeline.model.model.storedData {
                text += "kept data   \(stored)\n"
            }
            var features = [["feature", "type", "missing in training", "range or categories"]]
            for feature in pipeline.features {
                let range: String
                if let categories = feature.categories {
                    range = categories.prefix(8).joined(separator: ", ") + (categories.count > 8 ? ", … (\(categories.count))" : "")
                } else if let low = feature.minimum, let high = feature.maximum {
                    range = "\(NumberFormatting.significant(low, digits: 6)) … \(NumberFormatting.significant(high, digits: 6))"
                } else {
                    range = ""
                }
                features.append([feature.name, feature.type.rawValue, feature.nullable ? "yes" : "no", range])
            }
            text += "\n" + TextTable.render(features)
            var metrics = [["metric", "value"]]
            for (name, value) in model.metrics.sorted(by: { $0.key < $1.key }) {
                metrics.append([name, NumberFormatting.significant(value, digits: 6)])
            }
            text += "\n" + TextTable.render(metrics, rightAligned: [1])
            Console.out(text)
        }
    }
}

extension BatCat.Describe {
    /// `linearRegression (normal)`, `logisticRegression (lbfgs, C=1)`.
    static func estimatorName(_ choice: EstimatorChoice) -> String {
        choice.label
    }
}

/// The versioned JSON object `batcat evaluate --format json` prints.
struct EvaluateReport: Encodable {
    var version = 1
    var artifact: String
    var digest: String
    var rows: Int
    var metrics: [String: Double]
    var unavailable: [String: String]?
    var positiveClass: String?
    var confusionMatrix: [[Int]]?
    var confusionClasses: [String]?
    var warnings: [String]
}
