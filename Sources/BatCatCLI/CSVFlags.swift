import ArgumentParser
import BatCatData
import BatCatWorkflow
import Foundation
import Logging

/// How a CSV file's fields are separated and which texts mean missing: the flags of every command that reads CSV.
struct CSVFormatFlags: ParsableArguments {
    @Option(help: ArgumentHelp("The field delimiter: a single character such as ';' or '|', or 'tab'.", valueName: "char"))
    var delimiter: String = ","

    @Option(
        name: .customLong("missing"),
        help: ArgumentHelp("Comma-separated texts that mean a missing value (default: empty, NA, NaN, null, ?).", valueName: "list"))
    var missing: String?

    @Flag(name: .customLong("rename-duplicates"), help: "Read a header that names a column twice with the later ones renamed (x, x.1, …).")
    var renameDuplicates = false

    @Option(name: .customLong("max-row-mb"), help: ArgumentHelp("The longest a row may be, in MiB (default 16).", valueName: "n"))
    var maxRowMB: Int?

    /// Sets the delimiter, the missing markers, the row limit and the duplicate-name rule of `options`.
    func apply(to options: inout CSVOptions) throws {
        options.renameDuplicates = renameDuplicates
        if let maxRowMB {
            guard maxRowMB >= 1 else { throw ValidationError("--max-row-mb takes a whole number of MiB, 1 or more, not \(maxRowMB).") }
            options.maxRowBytes = maxRowMB << 20
        }
        if let missing { options.missingMarkers = missing.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard delimiter.count == 1 || delimiter == "tab" || delimiter == "\\t" else {
            throw ValidationError("--delimiter takes one character (or 'tab'), not '\(delimiter)'.")
        }
        try options.setDelimiter(delimiter == "tab" || delimiter == "\\t" ? "\t" : delimiter.first!)
    }
}

/// Flags that say how a CSV file is read; shared by every command that reads one as a table.
struct CSVFlags: ParsableArguments {
    @OptionGroup var format: CSVFormatFlags

    @Flag(name: .customLong("no-header"), help: "The first row is data; columns are named column_1, column_2, ….")
    var noHeader = false

    @Option(
        name: .customLong("type"),
        help: ArgumentHelp(
            "A column's type instead of the inferred one: double, int, bool, string or date. Repeatable.", valueName: "col=type"))
    var types: [String] = []

    @Flag(name: .customLong("parse-dates"), help: "Read text columns that hold ISO-8601 dates as dates.")
    var parseDates = false

    @Option(name: .customLong("on-bad-lines"), help: "What to do with rows of the wrong length: error or skip.")
    var onBadLines: BadLinePolicy = .error

    /// The reader options these flags describe.
    func options(columns: [String]? = nil) throws -> CSVOptions {
        var options = CSVOptions()
        options.hasHeader = !noHeader
        options.columns = columns
        options.parseDates = parseDates
        options.onBadLines = onBadLines
        try format.apply(to: &options)
        for pair in types {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let type = ColumnType(rawValue: parts[1].lowercased()) else {
                throw ValidationError(
                    "--type takes column=type with type one of \(ColumnType.allCases.map(\.rawValue).joined(separator: ", ")), not '\(pair)'."
                )
            }
            options.types[parts[0]] = type
        }
        return options
    }
}

extension BadLinePolicy: ExpressibleByArgument {}

/// Splits `a,b,c` into names, trimming spaces.
func columnList(_ text: String?) -> [String]? {
    text.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
}

extension CSVFlags {
    /// ``DataWarnings/oneColumn(_:delimiter:file:logger:fix:)`` for a file named on the command line and read with `options`.
    func warnIfOneColumn(_ names: [String], readWith options: CSVOptions, file: String, logger: Logger) {
        DataWarnings.oneColumn(names, delimiter: options.delimiter, file: file, logger: logger) { "pass --delimiter \($0)" }
    }
}
