import ArgumentParser
import BatCatCore
import BatCatData
import BatCatStorage
import Foundation
import Logging

extension BatCat {
    /// `batcat describe`: summary statistics of a CSV file.
    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "describe",
            abstract: "Print summary statistics of a CSV file's columns.",
            discussion: """
                For numbers: count, missing, mean, std (n − 1), min, 25%, 50%, 75%, max. \
                For text and booleans: count, missing, unique, top. \
                Types are inferred from the first 1,000 rows; override them with --type.

                Examples:
                  batcat describe data/raw/patients.csv
                  batcat describe data.csv --columns age,bmi --format json
                  batcat describe export.csv --delimiter ';' --missing 'NA,-999'
                """
        )

        @Argument(help: "The CSV file.")
        var file: String

        @Option(help: ArgumentHelp("Describe only these columns (comma-separated).", valueName: "a,b"))
        var columns: String?

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        @OptionGroup var csv: CSVFlags
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let logger = try global.bootstrapLoggingFromConfiguration(label: "batcat.describe")
            let start = ContinuousClock.now
            let options = try csv.options(columns: columnList(columns))
            let (frame, report) = try await TableSources.source(file, csv: options).read()
            csv.warnIfOneColumn(frame.columnNames, readWith: options, file: file, logger: logger)
            logger.debug("data read", metadata: ["data.path": "\(file)", "data.rows": "\(frame.rowCount)", "data.columns": "\(frame.columns.count)"])
            let description = try frame.describe()
            switch format {
            case .text: Console.out(description.table())
            case .json: Console.out(try JSONReport.encode(DescribeReport(file: file, description: description)))
            }
            if report.skippedRows > 0 {
                Console.err(
                    "skipped \(plural(report.skippedRows, "row")) of the wrong length (lines \(report.skippedLines.map(String.init).joined(separator: ", "))\(report.skippedRows > report.skippedLines.count ? ", …" : ""))\n"
                )
            }
            if !global.quiet {
                Console.err(
                    "Described \(plural(frame.rowCount, "row")) × \(plural(frame.columns.count, "column")) of \(file) "
                        + "(\(Console.megabytes(report.bytes))) in \(Console.seconds(since: start))\n")
            }
        }
    }

    /// `batcat head`: the first rows of a CSV file, as CSV.
    struct Head: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "head",
            abstract: "Print the first rows of a CSV file.",
            discussion: """
                Reads only as much of the file as it needs, and writes the rows back as CSV with \
                their types applied (numbers in shortest form, missing values empty).

                Examples:
                  batcat head data/raw/patients.csv
                  batcat head data.csv -n 3 --columns age,bmi
                """
        )

        @Argument(help: "The CSV file.")
        var file: String

        @Option(name: .shortAndLong, help: "How many rows.")
        var n: Int = 10

        @Option(help: ArgumentHelp("Show only these columns (comma-separated).", valueName: "a,b"))
        var columns: String?

        @OptionGroup var csv: CSVFlags
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if n < 1 { throw ValidationError("-n must be at least 1, not \(n).") }
        }

        func run() async throws {
            let logger = try global.bootstrapLoggingFromConfiguration(label: "batcat.head")
            var options = try csv.options(columns: columnList(columns))
            options.blockSize = 1 << 16
            let chunks = try await TableSources.source(file, csv: options).chunks(rows: n, columns: nil)
            csv.warnIfOneColumn(chunks.schema.names, readWith: options, file: file, logger: logger)
            logger.debug("data opened", metadata: ["data.path": "\(file)", "data.columns": "\(chunks.schema.names.count)"])
            var writer = CSVWriter(sink: MemoryByteSink())
            if let first = try await chunks.next() {
                try writer.write(first)
            } else {
                try writer.write(DataFrame.empty(schema: chunks.schema))
            }
            Console.out(writer.sink.text)
        }
    }
}

/// The versioned JSON object `batcat describe --format json` prints.
struct DescribeReport: Encodable {
    var version = 1
    var file: String
    var description: FrameDescription

    enum CodingKeys: String, CodingKey { case version, file, rows, columns }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(file, forKey: .file)
        try container.encode(description.rows, forKey: .rows)
        try container.encode(description.columns, forKey: .columns)
    }
}

/// Encodes reports as pretty, key-sorted JSON with a trailing newline.
enum JSONReport {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}
