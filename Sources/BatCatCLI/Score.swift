import ArgumentParser
import BatCatBatch
import BatCatCore
import BatCatData
import BatCatML
import BatCatRegistry
import BatCatStorage
import BatCatWorkflow
import Foundation
import Logging
import Synchronization

extension BadRowPolicy: ExpressibleByArgument {}

extension BatCat {
    /// `batcat score`: batch predictions for CSV files.
    struct Score: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "score",
            abstract: "Score CSV files with a model: a file, or every *.csv in a folder, exactly once.",
            discussion: """
                Each output is written under a temporary name and renamed when complete, then recorded \
                under OUT/_batcat/done/; a rerun skips inputs already scored with the same model, so a \
                killed run is finished by running it again, with identical outputs. Every run writes a \
                manifest to OUT/_batcat/runs/.

                A rerun knows an input has not changed by its size, inode and file times, as make and \
                rsync do, without reading it. --digest-inputs records each input's SHA-256 in the \
                manifest and decides by content instead: a file touched but unchanged is skipped, and \
                one rewritten at the same size within the few milliseconds a file time lasts is still \
                seen as changed; it costs hashing every input (about 0.15 s of a core per 200 MB).

                With --on-bad-rows skip, <name>.rejects.csv lists each row left out: `line` for rows \
                that could not be read, `row` (counting the rows read) for rows the model refused.

                --delimiter and --missing say how the inputs are read; outputs are always \
                comma-separated.

                Shards: --shard-index I --shard-count N (default JOB_COMPLETION_INDEX and \
                BATCAT_SHARD_COUNT, as a Kubernetes Indexed Job sets them) score a fixed share of the \
                inputs; N shards together write exactly what one process would.

                --watch keeps running and scores each new file in IN. A file is scored once its size has \
                stayed the same for --settle seconds; names starting with '.' or ending in .part or .tmp \
                are ignored, so a writer that writes under such a name and renames it when done is only \
                read complete.

                Examples:
                  batcat score --model churn --input data/raw --output data/result
                  batcat score --artifact model.json --input new.csv --output scored.csv
                  batcat score --model churn --input incoming --output scored --watch
                  batcat score --artifact model.json --input export.csv --output scored.csv --delimiter ';'
                """
        )

        @Option(help: "The registered model.") var model: String?
        @Option(help: "Use the version in this stage (default production).") var stage: Stage?
        @Option(name: .customLong("model-version"), help: ArgumentHelp("Use this version of the model.", valueName: "n")) var version: Int?
        @Option(help: ArgumentHelp("Use this artifact file instead of a registered model.", valueName: "path")) var artifact: String?
        @Option(help: ArgumentHelp("A CSV file, or a folder of them.", valueName: "path")) var input: String
        @Option(help: ArgumentHelp("A CSV file (for one input) or a folder.", valueName: "path")) var output: String
        @Option(
            name: .customLong("id-columns"), help: ArgumentHelp("Input columns copied to the output (comma-separated).", valueName: "a,b"))
        var idColumns: String?
        @Option(name: .customLong("on-bad-rows"), help: "stop (default) or skip: write them to <name>.rejects.csv with the reason.")
        var onBadRows: BadRowPolicy = .stop
        @Option(name: .customLong("shard-index"), help: "This process's shard, 0-based (default $JOB_COMPLETION_INDEX or 0).")
        var shardIndex: Int?
        @Option(name: .customLong("shard-count"), help: "How many shards (default $BATCAT_SHARD_COUNT or 1).") var shardCount: Int?
        @Option(name: .customLong("chunk-rows"), help: "Rows read and scored at a time.") var chunkRows: Int = 50_000
        @Flag(name: .customLong("digest-inputs"), help: "Record each input's SHA-256; a rerun decides by content whether it changed.")
        var digestInputs = false
        @Flag(help: "Keep running and score new files as they appear.") var watch = false
        @Option(help: "With --watch: seconds a file's size must hold still before it is read.") var settle: Double = 1
        @OptionGroup var format: CSVFormatFlags
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if (model == nil) == (artifact == nil) { throw ValidationError("Pass either --model NAME or --artifact PATH.") }
            if chunkRows < 1 { throw ValidationError("--chunk-rows must be at least 1.") }
        }

        func run() async throws {
            let settings = try global.settings()
            let logger = try global.bootstrapLogging(settings, label: "batcat.score")
            let environment = ProcessInfo.processInfo.environment
            var options = ScoreOptions()
            options.chunkRows = chunkRows
            options.onBadRows = onBadRows
            options.idColumns = columnList(idColumns)
            options.digestInputs = digestInputs
            try format.apply(to: &options.csv)
            options.shardIndex = shardIndex ?? environment["JOB_COMPLETION_INDEX"].flatMap(Int.init) ?? 0
            options.shardCount = shardCount ?? environment["BATCAT_SHARD_COUNT"].flatMap(Int.init) ?? 1
            guard options.shardCount >= 1, (0..<options.shardCount).contains(options.shardIndex) else {
                throw CLIError(
                    "shard \(options.shardIndex) of \(options.shardCount) does not exist",
                    hints: ["the shard index runs from 0 to the count − 1"])
            }
            let plan = try await ScoringPlan(input: input, output: output)
            let loaded = try await ModelLoader.load(
                artifact.map { .file($0) } ?? .registered(model!, version.map { .version($0) } ?? .stage(stage ?? .production)),
                registry: { try global.registryLocation(settings).open() })
            let counter = Mutex(0)
            let bar = ProgressLine(enabled: !global.quiet)
            let job = ScoringJob(
                plan: plan, modelName: loaded.name, modelVersion: loaded.version, artifact: loaded.sealed, options: options,
                logger: logger,
                progress: { rows in
                    let total = counter.withLock {
                        $0 += rows; return $0
                    }
                    bar.show("scored \(Console.grouped(total)) rows")
                })
            let start = ContinuousClock.now
            guard watch && !plan.singleInput else {
                summarize(try await job.runOnce(), start: start, bar: bar)
                return
            }
            if !global.quiet { Console.err("Watching \(input) for new CSV files (Ctrl-C to stop)…\n") }
            try await job.watch(settle: .milliseconds(Int(settle * 1000))) { manifest, since in
                summarize(manifest, start: since, bar: bar)
            }
        }

        private func summarize(_ manifest: ScoreManifest, start: ContinuousClock.Instant, bar: ProgressLine) {
            bar.clear()
            guard !global.quiet else { return }
            let scored = manifest.files.filter { $0.status == "scored" }
            let rows = scored.reduce(0) { $0 + $1.rows }
            let rejected = manifest.files.reduce(0) { $0 + $1.rejected }
            let skipped = manifest.files.count - scored.count
            let elapsed = ContinuousClock.now - start
            let seconds = max(elapsed.inSeconds, 1e-6)
            var line =
                "Scored \(plural(scored.count, "file")), \(plural(rows, "row")) in \(Console.seconds(since: start))"
            line += " (\(Console.grouped(Int(Double(rows) / seconds))) rows/s) with \(manifest.model)"
            line += manifest.modelVersion.map { " version \($0)" } ?? ""
            if skipped > 0 { line += "; \(plural(skipped, "file")) already done" }
            if rejected > 0 { line += "; \(plural(rejected, "row")) rejected" }
            if manifest.shard != "1/1" { line += "; shard \(manifest.shard)" }
            Console.err(line + "\n")
        }
    }
}

/// A one-line progress display on a terminal's standard error; silent otherwise.
final class ProgressLine: Sendable {
    private let enabled: Bool

    init(enabled: Bool) {
        self.enabled = enabled && isatty(2) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }

    func show(_ text: String) {
        if enabled { Console.err("\r\u{1B}[2K  \(text)") }
    }

    func clear() {
        if enabled { Console.err("\r\u{1B}[2K") }
    }
}
