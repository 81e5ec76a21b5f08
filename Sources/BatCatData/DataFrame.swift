import Dispatch

/// A table of named, typed columns of equal length: BatCat's in-memory data.
///
/// Frames are values: every operation returns a new frame and leaves the original unchanged
/// (columns share storage until one is written: copy-on-write).
///
/// ```swift
/// let adults = try frame
///     .filter { try $0.double("age") >= 18 }
///     .selecting(["age", "bmi", "target"])
///     .sorted(by: [.descending("bmi")])
/// ```
///
/// ## Topics
/// ### Creating
/// - ``init(columns:)``
/// - ``init()``
/// ### Reading
/// - ``rowCount``
/// - ``columns``
/// - ``schema``
/// - ``column(_:)``
/// ### Transforming
/// - ``selecting(_:)``
/// - ``dropping(_:)``
/// - ``renaming(_:)``
/// - ``filter(_:)``
/// - ``sorted(by:)``
/// - ``head(_:)``
/// - ``tail(_:)``
/// - ``slice(_:)``
/// - ``adding(_:)``
/// - ``concatenating(_:)``
/// - ``pipe(_:_:)``
public struct DataFrame: Sendable, Equatable {
    /// The columns, in order.
    public private(set) var columns: [Column]
    /// The number of rows.
    public private(set) var rowCount: Int

    /// An empty frame: no columns, no rows.
    public init() {
        columns = []
        rowCount = 0
    }

    /// A frame of `columns`, which must have distinct names and equal lengths.
    public init(columns: [Column]) throws(DataError) {
        var names = Set<String>()
        for column in columns where !names.insert(column.name).inserted {
            throw DataError(.duplicateColumn, "two columns are named '\(column.name)'", hints: ["rename one of them"])
        }
        let count = columns.first?.count ?? 0
        if let other = columns.first(where: { $0.count != count }) {
            throw DataError(
                .lengthMismatch,
                "column '\(other.name)' has \(other.count) rows but column '\(columns[0].name)' has \(count)",
                hints: ["every column of a frame must have the same number of rows"])
        }
        self.columns = columns
        self.rowCount = count
    }

    /// A frame with `schema`'s columns and no rows.
    public static func empty(schema: Schema) -> DataFrame {
        DataFrame(uncheckedColumns: schema.fields.map { Column($0.name, values: Column.empty($0.type, count: 0)) }, rowCount: 0)
    }

    init(uncheckedColumns columns: [Column], rowCount: Int) {
        self.columns = columns
        self.rowCount = rowCount
    }

    /// The names, types and nullability of the columns.
    public var schema: Schema { Schema(columns.map(\.field)) }

    /// The column names, in order.
    public var columnNames: [String] { columns.map(\.name) }

    /// The column named `name`, or `nil`.
    public subscript(name: String) -> Column? {
        columns.first { $0.name == name }
    }

    /// The column named `name`, or an error listing the columns there are.
    public func column(_ name: String) throws(DataError) -> Column {
        guard let column = self[name] else { throw DataError.unknownColumn(name, in: columnNames) }
        return column
    }

    func index(of name: String) throws(DataError) -> Int {
        guard let index = columns.firstIndex(where: { $0.name == name }) else { throw DataError.unknownColumn(name, in: columnNames) }
        return index
    }

    // MARK: Columns

    /// Only the columns named, in the order named.
    public func selecting(_ names: [String]) throws(DataError) -> DataFrame {
        var picked: [Column] = []
        for name in names { picked.append(try column(name)) }
        return try DataFrame(columns: picked)
    }

    /// Every column except those named.
    public func dropping(_ names: [String]) throws(DataError) -> DataFrame {
        for name in names where self[name] == nil { throw DataError.unknownColumn(name, in: columnNames) }
        let drop = Set(names)
        return DataFrame(uncheckedColumns: columns.filter { !drop.contains($0.name) }, rowCount: rowCount)
    }

    /// The frame with columns renamed from the keys' names to the values' names.
    public func renaming(_ names: [String: String]) throws(DataError) -> DataFrame {
        for old in names.keys.sorted() where self[old] == nil { throw DataError.unknownColumn(old, in: columnNames) }
        var renamed = columns
        for index in renamed.indices {
            if let new = names[renamed[index].name] { renamed[index].name = new }
        }
        return try DataFrame(columns: renamed)
    }

    /// The frame with `column` added at the end, or replacing the column of the same name in place.
    public func adding(_ column: Column) throws(DataError) -> DataFrame {
        guard columns.isEmpty || column.count == rowCount else {
            throw DataError(
                .lengthMismatch, "column '\(column.name)' has \(column.count) rows but the frame has \(rowCount)",
                hints: ["a new column must have one value per row"])
        }
        var result = columns
        if let index = result.firstIndex(where: { $0.name == column.name }) {
            result[index] = column
        } else {
            result.append(column)
        }
        return DataFrame(uncheckedColumns: result, rowCount: column.count)
    }

    // MARK: Rows

    /// The rows at `indices`, in that order.
    public func gathering(_ indices: [Int]) -> DataFrame {
        DataFrame(uncheckedColumns: columns.map { $0.gathering(indices) }, rowCount: indices.count)
    }

    /// The first `count` rows (all of them if there are fewer).
    public func head(_ count: Int = 10) -> DataFrame {
        slice(0..<min(max(count, 0), rowCount))
    }

    /// The last `count` rows (all of them if there are fewer).
    public func tail(_ count: Int = 10) -> DataFrame {
        slice(max(0, rowCount - max(count, 0))..<rowCount)
    }

    /// The rows in `range`, clamped to the frame.
    public func slice(_ range: Range<Int>) -> DataFrame {
        let lower = min(max(range.lowerBound, 0), rowCount)
        let upper = min(max(range.upperBound, lower), rowCount)
        return gathering(Array(lower..<upper))
    }

    /// The rows for which `predicate` is true.
    public func filter(_ predicate: (Row) throws -> Bool) rethrows -> DataFrame {
        var kept: [Int] = []
        for index in 0..<rowCount where try predicate(Row(frame: self, index: index)) { kept.append(index) }
        return gathering(kept)
    }

    /// The rows where `mask` is true; `mask` must have one entry per row.
    public func filter(mask: [Bool]) throws(DataError) -> DataFrame {
        guard mask.count == rowCount else {
            throw DataError(.lengthMismatch, "the mask has \(mask.count) entries but the frame has \(rowCount) rows")
        }
        return gathering(mask.indices.filter { mask[$0] })
    }

    /// This frame's rows followed by `other`'s; both must have the same column names in the same order.
    public func concatenating(_ other: DataFrame) throws(DataError) -> DataFrame {
        try DataFrame.concatenating([self, other])
    }

    /// The rows of all `frames`, in order; all must have the same column names in the same order.
    public static func concatenating(_ frames: [DataFrame]) throws(DataError) -> DataFrame {
        guard let first = frames.first else { return DataFrame() }
        for frame in frames.dropFirst() where frame.columnNames != first.columnNames {
            throw DataError(
                .lengthMismatch,
                "cannot concatenate frames with different columns: [\(first.columnNames.joined(separator: ", "))] and [\(frame.columnNames.joined(separator: ", "))]",
                hints: ["select the same columns in the same order from each frame first"])
        }
        var columns = first.columns
        for index in columns.indices {
            for frame in frames.dropFirst() { columns[index] = try columns[index].appending(frame.columns[index]) }
        }
        return DataFrame(uncheckedColumns: columns, rowCount: frames.reduce(0) { $0 + $1.rowCount })
    }

    /// The rows sorted by `keys`, the first key first; rows that tie keep their order (a stable sort).
    /// Missing values sort last whatever the direction.
    public func sorted(by keys: [SortKey]) throws(DataError) -> DataFrame {
        var keyColumns: [(Column, Bool)] = []
        for key in keys { keyColumns.append((try column(key.column), key.ascending)) }
        let order = Array(0..<rowCount).sorted { a, b in
            for (column, ascending) in keyColumns {
                let x = column.cell(a)
                let y = column.cell(b)
                if x == y { continue }
                if x == .missing { return false }
                if y == .missing { return true }
                return ascending ? Cell.ascending(x, y) : Cell.ascending(y, x)
            }
            return a < b
        }
        return gathering(order)
    }

    /// Passes the frame to `transform`, for chaining steps: `frame.pipe(clean).pipe(addLags, 7)`.
    public func pipe<each Argument, Result>(
        _ transform: (DataFrame, repeat each Argument) throws -> Result, _ arguments: repeat each Argument
    ) rethrows -> Result {
        try transform(self, repeat each arguments)
    }

    /// The distinct rows of the named columns (all columns when `nil`), in order of first appearance.
    public func unique(_ names: [String]? = nil) throws(DataError) -> DataFrame {
        let keys = try selecting(names ?? columnNames)
        var seen = Set<[Cell]>()
        var kept: [Int] = []
        for index in 0..<rowCount where seen.insert(keys.columns.map { $0.cell(index) }).inserted { kept.append(index) }
        return keys.gathering(kept)
    }

    /// Each distinct value of a column with how often it occurs, most frequent first (ties in order of value).
    /// Missing values are counted too, as one value, listed last among equals.
    public func valueCounts(_ name: String) throws(DataError) -> DataFrame {
        let column = try column(name)
        var counts: [Cell: Int] = [:]
        var order: [Cell] = []
        for index in 0..<rowCount {
            let cell = column.cell(index)
            if counts[cell] == nil { order.append(cell) }
            counts[cell, default: 0] += 1
        }
        order.sort { a, b in counts[a]! != counts[b]! ? counts[a]! > counts[b]! : Cell.ascending(a, b) }
        let values = try Column.from(cells: order, name: name, type: column.type)
        return try DataFrame(columns: [values, Column("count", ints: order.map { counts[$0]! })])
    }

    /// The columns (or `names`) as arrays of doubles, in order; an error names a text column, or a column
    /// with missing values unless `allowMissing` (missing values then read as NaN).
    public func numericColumns(_ names: [String]? = nil, allowMissing: Bool = false) throws(DataError) -> [[Double]] {
        let picked = try selecting(names ?? columnNames)
        var sources: [[Double]] = []
        for column in picked.columns {
            if !allowMissing, column.missing != nil {
                throw DataError(
                    .missingValues, "column '\(column.name)' has \(column.missingCount) missing values",
                    hints: ["impute them (for example with SimpleImputer), or drop the rows first"])
            }
            if case .double(let values) = column.values, column.missing == nil {
                sources.append(values)
                continue
            }
            guard let doubles = column.doubles else {
                throw DataError(
                    .nonNumeric, "column '\(column.name)' holds text, not numbers",
                    hints: ["encode it (for example with OneHotEncoder), or leave it out of the features"])
            }
            sources.append(doubles)
        }
        return sources
    }

    /// The named numeric columns as a row-major matrix of doubles (integers and booleans converted).
    ///
    /// A text column, or a missing value when `allowMissing` is false, is an error naming the column.
    /// With `allowMissing`, missing values become NaN.
    public func matrix(_ names: [String]? = nil, allowMissing: Bool = false) throws(DataError) -> Matrix {
        let picked = try selecting(names ?? columnNames)
        return Matrix(columns: try picked.numericColumns(allowMissing: allowMissing), rows: rowCount, columnNames: picked.columnNames)
    }
}

/// A sort key: a column and a direction.
public struct SortKey: Sendable, Hashable {
    /// The column's name.
    public var column: String
    /// Whether smaller values come first.
    public var ascending: Bool

    /// Sorts by `column`, smallest first.
    public static func ascending(_ column: String) -> SortKey { SortKey(column: column, ascending: true) }
    /// Sorts by `column`, largest first.
    public static func descending(_ column: String) -> SortKey { SortKey(column: column, ascending: false) }
}

/// One row of a frame, for predicates: `frame.filter { try $0.double("age") > 30 }`.
public struct Row {
    let frame: DataFrame
    /// The row's position in the frame.
    public let index: Int

    /// The value in column `name`.
    public func cell(_ name: String) throws(DataError) -> Cell {
        try frame.column(name).cell(index)
    }

    /// The number in column `name`; NaN when missing, an error for text.
    public func double(_ name: String) throws(DataError) -> Double {
        let cell = try cell(name)
        if cell == .missing { return .nan }
        guard let number = cell.number else { throw DataError(.nonNumeric, "column '\(name)' holds text, not numbers") }
        return number
    }

    /// The text in column `name` (numbers as written to CSV); `nil` when missing.
    public func string(_ name: String) throws(DataError) -> String? {
        let cell = try cell(name)
        return cell == .missing ? nil : cell.description
    }

    /// Whether column `name` is missing in this row.
    public func isMissing(_ name: String) throws(DataError) -> Bool {
        try cell(name) == .missing
    }
}

/// A dense row-major matrix of doubles, as models take it.
public struct Matrix: Sendable, Equatable {
    /// The number of rows.
    public var rows: Int
    /// The number of columns.
    public var columns: Int
    /// The values, row after row.
    public var values: [Double]
    /// The columns' names, when the matrix came from a frame (empty otherwise); used in messages.
    public var columnNames: [String]

    /// Creates a matrix; `values` must hold `rows × columns` numbers.
    public init(rows: Int, columns: Int, values: [Double], columnNames: [String] = []) {
        precondition(values.count == rows * columns, "a \(rows)×\(columns) matrix needs \(rows * columns) values")
        self.rows = rows
        self.columns = columns
        self.values = values
        self.columnNames = columnNames
    }

    /// The row-major matrix of `sources`, each holding `rows` values (as ``DataFrame/numericColumns(_:allowMissing:)``
    /// gives them).
    public init(columns sources: [[Double]], rows: Int, columnNames: [String] = []) {
        let width = sources.count
        // Filled in tiles of rows, so the strided writes stay in cache; no zeroing first. Large matrices are
        // filled by every core, which also shares out the cost of touching fresh memory.
        let values = [Double](unsafeUninitializedCapacity: rows * width) { buffer, initialized in
            // Each part fills only its own tiles of rows.
            let shared = ThreadShared(buffer)
            let tile = 512
            let tiles = (rows + tile - 1) / tile
            let parts = rows * width >= 1 << 20 ? Swift.min(systemCoreCount(), tiles) : 1
            let fill: @Sendable (Int) -> Void = { part in
                for t in (tiles * part / parts)..<(tiles * (part + 1) / parts) {
                    let range = (t * tile)..<Swift.min((t + 1) * tile, rows)
                    Matrix.copyRows(range, of: sources, into: UnsafeMutableBufferPointer(rebasing: shared.value[(range.lowerBound * width)...]))
                }
            }
            if parts > 1 {
                DispatchQueue.concurrentPerform(iterations: parts, execute: fill)
            } else {
                fill(0)
            }
            initialized = rows * width
        }
        self.init(rows: rows, columns: width, values: values, columnNames: columnNames)
    }

    /// Copies rows `range` of `sources` to the start of `buffer`, row after row (`sources.count` wide).
    static func copyRows(_ range: Range<Int>, of sources: [[Double]], into buffer: UnsafeMutableBufferPointer<Double>) {
        let width = sources.count
        for (c, source) in sources.enumerated() {
            source.withUnsafeBufferPointer { column in
                for r in range { buffer[(r - range.lowerBound) * width + c] = column[r] }
            }
        }
    }

    /// How messages name column `index`: `'bmi'`, or `feature 3` when the matrix has no names.
    public func describeColumn(_ index: Int) -> String {
        Matrix.describeColumn(index, names: columnNames)
    }

    /// How messages name column `index` of columns called `names`: `'bmi'`, or `feature 3` past the names.
    public static func describeColumn(_ index: Int, names: [String]) -> String {
        index < names.count ? "'\(names[index])'" : "feature \(index + 1)"
    }

    /// The value at `row`, `column`.
    public subscript(row: Int, column: Int) -> Double {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }
}

extension Column {
    /// A column of `type` from cells of that type (or missing).
    static func from(cells: [Cell], name: String, type: ColumnType) throws(DataError) -> Column {
        let missing = cells.map { $0 == .missing }
        switch type {
        case .double: return Column(name, values: .double(cells.map { $0.number ?? 0 }), missing: missing)
        case .date: return Column(name, values: .date(cells.map { $0.number ?? 0 }), missing: missing)
        case .int:
            return Column(name, values: .int(cells.map { if case .int(let v) = $0 { v } else { 0 } }), missing: missing)
        case .bool:
            return Column(name, values: .bool(cells.map { $0 == .bool(true) }), missing: missing)
        case .string:
            return Column(
                name, values: .string(StringValues(cells.map { if case .string(let v) = $0 { v } else { "" } })), missing: missing)
        }
    }
}
