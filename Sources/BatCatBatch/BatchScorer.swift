import BatCatCore
import BatCatData
import BatCatML
import BatCatStorage
import Foundation
import Logging

/// What to do with rows that cannot be scored.
public enum BadRowPolicy: String, Sendable, CaseIterable {
    /// Stop with the file, line and reason (the default).
    case stop
    /// Write them to `<input>.rejects.csv` with the reason, and go on.
    case skip
}

/// How a batch is scored.
public struct ScoreOptions: Sendable {
    /// Rows per chunk: memory stays bounded by a few chunks whatever the file size.
    public var chunkRows = 50_000
    /// Input columns copied into the output; `nil` means every column that is neither a feature nor the target
    /// (or a `row` number when there is none).
    public var idColumns: [String]?
    /// What to do with rows that cannot be scored.
    public var onBadRows: BadRowPolicy = .stop
    /// This process's shard, 0-based.
    public var shardIndex = 0
    /// How many shards share the inputs.
    public var shardCount = 1
    /// How many files are scored at once.
    public var concurrency = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// How input CSVs are read.
    public var csv = CSVOptions()
    /// Whether each input's SHA-256 is recorded, and a rerun decides by it whether an input changed.
    /// Off, a rerun decides by the input's revision (a file's size, inode and times), which costs nothing;
    /// on, every input is hashed as it is read (about 0.15 s of a core for 200 MB), and an input read
    /// again for a rerun's check.
    public var digestInputs = false

    /// Defaults: 50,000-row chunks, stop on bad rows, one shard.
    public init() {}
}

/// One file's outcome.
public struct FileReport: Codable, Sendable, Equatable {
    /// The input's key.
    public var input: String
    /// The output's key.
    public var output: String
    /// `scored`, or `skipped` when a matching earlier output exists.
    public var status: String
    /// Rows scored.
    public var rows: Int
    /// Rows written to the rejects file.
    public var rejected: Int
    /// The input's revision when it was read: for a file, its size, inode and times.
    public var inputRevision: String
    /// The input's SHA-256, when inputs are digested (``ScoreOptions/digestInputs``).
    public var inputDigest: String?
    /// The model's digest.
    public var modelDigest: String
    /// The model's version (nil for an artifact file).
    public var modelVersion: Int?
    /// Seconds spent.
    public var seconds: Double
}

/// A run's manifest: the inputs, what became of them, and the model.
public struct ScoreManifest: Codable, Sendable {
    /// The manifest format's version: 2 since inputs are known by their revision, and their digest is optional.
    public var version = 2
    /// The model's name, version and digest.
    public var model: String
    /// The model version.
    public var modelVersion: Int?
    /// The model's digest.
    public var modelDigest: String
    /// This run's shard and the shard count.
    public var shard: String
    /// Each input's outcome.
    public var files: [FileReport]
    /// Seconds the run took.
    public var seconds: Double
}

/// Scores CSV inputs with a model into CSV outputs, exactly once.
///
/// Each output is written under a temporary name and renamed into place when complete; then a record of
/// it (input revision, model digest, rows) is written under `_batcat/done/`. A rerun skips inputs whose record
/// matches (by the input's SHA-256 instead of its revision with ``ScoreOptions/digestInputs``), and
/// rescoring is deterministic, so a process killed at any moment leaves no partial output
/// visible and a rerun produces byte-identical outputs.
public struct BatchScorer: Sendable {
    /// The model's name.
    public let modelName: String
    /// The registry version, if any.
    public let modelVersion: Int?
    /// The artifact.
    public var artifact: ModelArtifact { sealed.artifact }
    /// The artifact with its digest.
    public let sealed: SealedArtifact
    let input: any ObjectStore
    let output: any ObjectStore
    let options: ScoreOptions
    let logger: Logger
    let progress: @Sendable (Int) -> Void

    /// Creates a scorer; `progress` is told the rows scored as chunks finish.
    public init(
        modelName: String, modelVersion: Int?, artifact: SealedArtifact, input: any ObjectStore, output: any ObjectStore,
        options: ScoreOptions,
        logger: Logger, progress: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.sealed = artifact
        self.input = input
        self.output = output
        self.options = options
        self.logger = logger
        self.progress = progress
    }

    /// The CSV inputs at the top of a store, sorted; hidden files and `.part`/`.tmp` files are left out.
    public static func inputs(in store: any ObjectStore) async throws(StorageError) -> [ObjectInfo] {
        try await store.list(prefix: "").filter { info in
            !info.key.contains("/") && info.key.hasSuffix(".csv") && !info.key.hasPrefix(".") && !info.key.hasSuffix(".predictions.csv")
                && !info.key.hasSuffix(".rejects.csv")
        }
    }

    /// This shard's share of `keys`: each key goes to shard FNV-1a(key) mod count, so N shards together
    /// cover every key once, whatever order they list them in.
    public static func share(of keys: [String], shard index: Int, of count: Int) -> [String] {
        guard count > 1 else { return keys }
        return keys.filter { key in
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in key.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
            return Int(hash % UInt64(count)) == index
        }
    }

    /// The output key for an input key: `x.csv` → `x.predictions.csv`, unless `outputKey` names one.
    public static func outputKey(for input: String) -> String {
        String(input.dropLast(4)) + ".predictions.csv"
    }

    /// Scores this shard's share of `keys` (with outputs at `outputKeys[key]` or the default names),
    /// writes the run's manifest, and returns it.
    public func run(_ keys: [String], outputKeys: [String: String] = [:]) async throws -> ScoreManifest {
        let start = ContinuousClock.now
        // A run killed mid-write (kill -9) leaves its unfinished outputs' temporary files; the next run removes them.
        let abandoned = try await output.removeAbandonedWrites()
        if abandoned > 0 {
            logger.info("removed unfinished outputs of runs that are no longer alive", metadata: ["files": "\(abandoned)", "output": "\(output.url)"])
        }
        let mine = BatchScorer.share(of: keys, shard: options.shardIndex, of: options.shardCount)
        var reports: [FileReport] = []
        try await withThrowingTaskGroup(of: FileReport.self) { group in
            var pending = mine[...]
            func launch() {
                guard let key = pending.popFirst() else { return }
                group.addTask { try await self.score(key, outputKey: outputKeys[key] ?? BatchScorer.outputKey(for: key)) }
            }
            for _ in 0..<max(1, options.concurrency) { launch() }
            while let report = try await group.next() {
                reports.append(report)
                launch()
            }
        }
        reports.sort { $0.input < $1.input }
        let digest = sealed.digest
        let manifest = ScoreManifest(
            model: modelName, modelVersion: modelVersion, modelDigest: digest, shard: "\(options.shardIndex + 1)/\(options.shardCount)",
            files: reports, seconds: BatchScorer.seconds(since: start))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Not ISO8601DateFormatter: its first use loads the ICU time zone data, 2-10 ms of every run.
        let stamp = ISODate.format(Date().timeIntervalSince1970.rounded(.down), time: true).replacingOccurrences(of: ":", with: "")
        try await output.put(
            Array(try encoder.encode(manifest)),
            at: "_batcat/runs/\(stamp)-shard\(options.shardIndex + 1)of\(options.shardCount)-\(UInt32.random(in: 0...UInt32.max)).json")
        return manifest
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        (ContinuousClock.now - start).inSeconds
    }

    /// The SHA-256 of an input, streamed.
    func digest(of key: String) throws -> String {
        var stream = DigestingStream(inner: try input.reader(for: key))
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while try buffer.withUnsafeMutableBytes({ raw throws(DataError) in try stream.read(into: raw) }) > 0 {}
        return stream.digest.finalize()
    }

    /// Scores one input, or skips it when a matching output is recorded.
    func score(_ key: String, outputKey: String) async throws -> FileReport {
        let start = ContinuousClock.now
        let doneKey = "_batcat/done/\(key).json"
        // Taken before the bytes are read: a file changed while it is read has another revision by the
        // time of a rerun, which then scores it again.
        let revision = try await input.revision(of: key)
        let earlier = try await earlierWork(key, outputKey: outputKey, doneKey: doneKey, revision: revision)
        if var skipped = earlier.unchanged {
            skipped.status = "skipped"
            skipped.seconds = BatchScorer.seconds(since: start)
            return skipped
        }
        // Digests are otherwise taken from the bytes as the scoring reads them, so the input is read once.
        let source = try input.reader(for: key)
        let digesting = options.digestInputs && earlier.digest == nil ? DigestingStream(inner: source) : nil
        let chunks = try openChunks(digesting.map { $0 as any ByteStream } ?? source, csv: readingOptions())
        let writer = try output.writer(for: outputKey)
        let rejects = RejectsFile(store: output, key: BatchScorer.rejectsKey(for: outputKey))
        let counts: (rows: Int, rejected: Int)
        do {
            counts = try await predictAll(chunks, key: key, writer: writer, rejects: rejects)
            try writer.commit()
            try rejects.commit()
        } catch let error as DataError where error.code == .typeMismatch || error.code == .fieldCount || error.code == .malformedRow {
            writer.abort()
            rejects.abort()
            throw BatchError(
                .badRow, error.message, hints: ["fix the row, or pass --on-bad-rows skip to write such rows to a rejects file and go on"],
                cause: error)
        } catch {
            writer.abort()
            rejects.abort()
            throw error
        }
        // The reader has read the whole input by now (a failure would have thrown).
        let report = FileReport(
            input: key, output: outputKey, status: "scored", rows: counts.rows, rejected: counts.rejected, inputRevision: revision,
            inputDigest: earlier.digest ?? digesting?.digest.finalize(), modelDigest: sealed.digest, modelVersion: modelVersion,
            seconds: BatchScorer.seconds(since: start))
        var done = report
        done.seconds = 0
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try await output.put(Array(try encoder.encode(done)), at: doneKey)
        return report
    }

    /// What a record of earlier work says: the report, when the input is unchanged since it was scored with this
    /// model into this output; and the input's digest, when it had to be taken to decide. A record this version
    /// cannot read (an older format, a damaged file) is no record: the input is scored again.
    func earlierWork(
        _ key: String, outputKey: String, doneKey: String, revision: String
    ) async throws -> (unchanged: FileReport?, digest: String?) {
        guard try await output.exists(doneKey), try await output.exists(outputKey),
            let done = try? JSONDecoder().decode(FileReport.self, from: Data(try await output.get(doneKey))),
            done.modelDigest == sealed.digest && done.output == outputKey
        else { return (nil, nil) }
        if options.digestInputs, let recorded = done.inputDigest {
            let digest = try self.digest(of: key)
            return (recorded == digest ? done : nil, digest)
        }
        return (done.inputRevision == revision ? done : nil, nil)
    }

    /// How inputs are read: each feature as the model's type, so one stray text cannot turn a number column into
    /// text; the target left out unless it is an id column (it is neither scored nor written back).
    func readingOptions() -> CSVOptions {
        let pipeline = artifact.pipeline
        var csv = options.csv
        if options.onBadRows == .skip { csv.onBadLines = .skip }
        for feature in pipeline.features { csv.types[feature.name] = feature.readingType }
        if !pipeline.featureNames.contains(pipeline.target) && !(options.idColumns ?? []).contains(pipeline.target) {
            csv.leftOut = [pipeline.target]
        }
        return csv
    }

    /// `a.csv` → `a.rejects.csv`, `a.predictions.csv` → `a.rejects.csv`.
    static func rejectsKey(for outputKey: String) -> String {
        (outputKey.hasSuffix(".predictions.csv") ? String(outputKey.dropLast(".predictions.csv".count)) : String(outputKey.dropLast(4)))
            + ".rejects.csv"
    }

    /// Reads, checks, predicts and writes every chunk (the next one parsed while this one is predicted), and sends
    /// the rows that cannot be scored to `rejects` or stops at the first; the counts of rows scored and rejected.
    func predictAll(
        _ chunks: CSVChunkReader, key: String, writer: any ObjectWriter, rejects: RejectsFile
    ) async throws -> (rows: Int, rejected: Int) {
        let pipeline = artifact.pipeline
        var csvWriter = CSVWriter(sink: WriterBox(inner: writer))
        var rows = 0
        var rejected = 0
        var firstRow = 0
        // The reader is used by one thread at a time: the next read starts only once the last one is done.
        let reader = ThreadShared(chunks)
        let readNext = { BackgroundWork { () throws(DataError) -> DataFrame? in try reader.value.next() } }
        var nextChunk = readNext()
        // Whatever happens, the reader is left alone before this function returns.
        defer { _ = try? nextChunk.value() }
        while let chunk = try await nextChunk.value() {
            nextChunk = readNext()
            let (good, bad, design) = try split(chunk, firstRow: firstRow, file: key)
            firstRow += chunk.rowCount
            if !bad.isEmpty {
                guard options.onBadRows == .skip else {
                    throw BatchError(
                        .badRow, "\(key): row \(bad[0].row + 1): \(bad[0].reason)",
                        hints: ["fix the row, or pass --on-bad-rows skip to write such rows to a rejects file and go on"])
                }
                try rejects.write(lines: bad.map { _ in nil }, rows: bad.map { $0.row + 1 }, reasons: bad.map(\.reason))
                rejected += bad.count
            }
            if good.rowCount > 0 {
                let predictions = try design.map { design throws(MLError) in try pipeline.predict(design: design) } ?? pipeline.predict(good)
                try csvWriter.write(try outputFrame(good, predictions, firstRow: firstRow - chunk.rowCount))
                rows += good.rowCount
                progress(good.rowCount)
            }
            // The next chunks are read into this one's memory, once nothing here holds it.
            chunks.recycle(chunk)
        }
        if rows == 0 && rejected == 0 {
            try csvWriter.write(try outputFrame(DataFrame.empty(schema: chunks.schema), Predictions(), firstRow: 0))
        }
        let unreadable = chunks.report.rejects
        if !unreadable.isEmpty {
            guard options.onBadRows == .skip else { throw BatchError(.badRow, "\(key): line \(unreadable[0].line): \(unreadable[0].reason)") }
            try rejects.write(lines: unreadable.map(\.line), rows: unreadable.map { _ in nil }, reasons: unreadable.map(\.reason))
        }
        try csvWriter.finish()
        rejected += chunks.report.skippedRows
        if chunks.report.skippedRows > 0 {
            logger.info("unreadable rows went to the rejects file", metadata: ["input": "\(key)", "rows": "\(chunks.report.skippedRows)"])
        }
        return (rows, rejected)
    }

    /// The input as chunks of rows; a feature its header lacks is named as one the model needs.
    func openChunks(_ stream: any ByteStream, csv: CSVOptions) throws -> CSVChunkReader {
        do throws(DataError) {
            return try CSVReader(options: csv).chunks(stream: stream, rows: options.chunkRows)
        } catch {
            // Only the features are given types, so a typed column the header lacks is one of them.
            guard error.code == .unknownColumn else { throw error }
            throw BatchError(
                .schemaMismatch, "\(error.message), which the model needs",
                hints: ["the model's features are: \(artifact.pipeline.featureNames.joined(separator: ", "))"])
        }
    }

    /// Splits a chunk into rows the model can score and rows it cannot (with the reason); when every row is good,
    /// also the model's input made while checking them.
    func split(_ chunk: DataFrame, firstRow: Int, file: String) throws -> (DataFrame, [(row: Int, reason: String)], Design?) {
        let pipeline = artifact.pipeline
        var bad: [Int: String] = [:]
        let imputed = Set(
            pipeline.steps.flatMap { step -> [String] in
                if case .simpleImputer(let imputer) = step.step { return Array(imputer.fills.keys) }
                return []
            })
        for feature in pipeline.features {
            guard let column = chunk[feature.name] else {
                throw BatchError(
                    .schemaMismatch, "\(file) has no column '\(feature.name)', which the model needs",
                    hints: ["the model's features are: \(pipeline.featureNames.joined(separator: ", "))"])
            }
            if column.missing != nil && !imputed.contains(feature.name) {
                for row in 0..<column.count where column.isMissing(row) && bad[row] == nil {
                    bad[row] = "feature '\(feature.name)' is missing, and the model has no imputer for it"
                }
            }
            if feature.type.isNumeric && column.type == .string {
                throw BatchError(.schemaMismatch, "\(file): column '\(feature.name)' holds text, but the model was trained on numbers in it")
            }
        }
        // Most chunks are wholly good: the pipeline's own check (every value finite, categories known) makes the
        // model's input, which is predicted from as it is. Only a chunk it refuses is looked at row by row.
        if bad.isEmpty, let design = try? pipeline.design(for: chunk) { return (chunk, [], design) }
        for feature in pipeline.features {
            guard let column = chunk[feature.name], case .double(let values) = column.values, column.firstInfinite() != nil else { continue }
            for row in values.indices where values[row].magnitude == .infinity && bad[row] == nil && !column.isMissing(row) {
                bad[row] = "feature '\(feature.name)' is infinite"
            }
        }
        // Find the rows the pipeline itself refuses (an unknown category, for example), one at a time.
        var good: [Int] = []
        for row in 0..<chunk.rowCount where bad[row] == nil {
            do throws(MLError) {
                _ = try pipeline.inputColumns(for: chunk.slice(row..<row + 1))
                good.append(row)
            } catch {
                bad[row] = error.message.replacingOccurrences(of: " (row 1)", with: "")
            }
        }
        return (chunk.gathering(good), bad.keys.sorted().map { (firstRow + $0, bad[$0]!) }, nil)
    }

    /// The id columns, then `prediction`, then one `probability_<class>` per class.
    func outputFrame(_ frame: DataFrame, _ predictions: Predictions, firstRow: Int) throws -> DataFrame {
        let pipeline = artifact.pipeline
        let ids = options.idColumns ?? frame.columnNames.filter { !pipeline.featureNames.contains($0) && $0 != pipeline.target }
        var columns: [Column] = []
        if ids.isEmpty {
            columns.append(Column("row", ints: (0..<frame.rowCount).map { firstRow + $0 + 1 }))
        } else {
            for id in ids {
                guard let column = frame[id] else {
                    throw BatchError(
                        .schemaMismatch, "the input has no id column '\(id)'", hints: ["the columns are: \(frame.columnNames.joined(separator: ", "))"])
                }
                columns.append(column)
            }
        }
        columns += predictions.outputColumns(classes: pipeline.classes)
        return try DataFrame(columns: columns)
    }
}

/// Lets a CSV writer write into an object writer.
/// `<name>.rejects.csv`: made at the first row rejected, visible only on commit.
final class RejectsFile {
    private let store: any ObjectStore
    private let key: String
    private var object: (any ObjectWriter)?
    private var csv: CSVWriter<WriterBox>?

    init(store: any ObjectStore, key: String) {
        self.store = store
        self.key = key
    }

    /// Rows by their line in the file (unreadable) or their number among the rows read (refused by the model).
    func write(lines: [Int?], rows: [Int?], reasons: [String]) throws {
        if csv == nil {
            let made = try store.writer(for: key)
            object = made
            csv = CSVWriter(sink: WriterBox(inner: made))
        }
        try csv?.write(try DataFrame(columns: [Column("line", ints: lines), Column("row", ints: rows), Column("reason", strings: reasons)]))
    }

    func commit() throws {
        try csv?.finish()
        try object?.commit()
    }

    func abort() { object?.abort() }
}

struct WriterBox: ByteSink {
    var inner: any ObjectWriter

    mutating func write(_ bytes: UnsafeRawBufferPointer) throws(DataError) {
        try inner.write(bytes)
    }
}

/// A stream that hashes the bytes it passes on (SHA-256), so one read serves both the reader and the digest.
struct DigestingStream: ByteStream {
    /// The running digest, shared by the copies of this stream a reader makes.
    final class Digest: @unchecked Sendable {
        private var hasher = FingerprintHasher()

        func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bytes) }

        /// `sha256:<hex>` of the bytes read so far.
        func finalize() -> String { hasher.finalize() }
    }

    var inner: any ByteStream
    let digest = Digest()

    var name: String { inner.name }
    var sizeHint: Int? { inner.sizeHint }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(DataError) -> Int {
        let count = try inner.read(into: buffer)
        digest.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        return count
    }
}
