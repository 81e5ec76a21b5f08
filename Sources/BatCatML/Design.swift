import BatCatData

/// The inputs of a linear fit: a row-major ``Matrix``, or the columns of a frame as they are.
///
/// Least squares, ridge, lasso and gradient descent need only sums over rows (the Gram matrix), which
/// can be read from columns a block of rows at a time: a frame's columns are shared without a copy, where
/// a matrix would be a second copy of all the data in fresh memory (160 MB for the 1,000,000 × 20
/// benchmark) filled before the first sum.
public enum Design: Sendable {
    /// One row-major matrix.
    case matrix(Matrix)
    /// One array per column, each `rows` long, with the columns' names.
    case columns([[Double]], rows: Int, names: [String])

    /// The number of rows.
    public var rows: Int {
        switch self {
        case .matrix(let x): x.rows
        case .columns(_, let rows, _): rows
        }
    }

    /// The number of columns.
    public var columns: Int {
        switch self {
        case .matrix(let x): x.columns
        case .columns(let columns, _, _): columns.count
        }
    }

    /// The value at `row`, `column`.
    /// One value.
    public func value(row: Int, column: Int) -> Double {
        switch self {
        case .matrix(let x): x.values[row * x.columns + column]
        case .columns(let columns, _, _): columns[column][row]
        }
    }

    /// How messages name column `index`: `'bmi'`, or `feature 3` when there are no names.
    func describeColumn(_ index: Int) -> String {
        switch self {
        case .matrix(let x): x.describeColumn(index)
        case .columns(_, _, let names): Matrix.describeColumn(index, names: names)
        }
    }

    /// Writes the rows in `range`, less `shift` (one value a column), column by column: column j's values
    /// go to `z[j * stride ..< j * stride + range.count]`.
    func copyShifted(_ range: Range<Int>, by shift: [Double], into z: UnsafeMutablePointer<Double>, stride: Int) {
        switch self {
        case .matrix(let x):
            let p = x.columns
            x.values.withUnsafeBufferPointer { v in
                for (offset, row) in range.enumerated() {
                    for j in 0..<p { z[j * stride + offset] = v[row * p + j] - shift[j] }
                }
            }
        case .columns(let columns, _, _):
            for (j, column) in columns.enumerated() {
                let m = shift[j]
                let target = z + j * stride
                column.withUnsafeBufferPointer { c in
                    for (offset, row) in range.enumerated() { target[offset] = c[row] - m }
                }
            }
        }
    }

    /// The rows as a matrix (the matrix itself, or a row-major copy of the columns).
    public func matrix() -> Matrix {
        switch self {
        case .matrix(let x): return x
        case .columns(let columns, let rows, let names): return Matrix(columns: columns, rows: rows, columnNames: names)
        }
    }

    /// The first missing or infinite value, by row then column, as (row, column).
    func firstNonFinite() -> (row: Int, column: Int)? {
        switch self {
        case .matrix(let x):
            guard let index = Design.firstNonFinite(in: x.values) else { return nil }
            return (index / x.columns, index % x.columns)
        case .columns(let columns, _, _):
            var first: (row: Int, column: Int)?
            for (c, column) in columns.enumerated() where !Design.allFinite(column) {
                // Only rows before the best so far can do better.
                let limit = first?.row ?? column.count
                if let row = column[..<limit].firstIndex(where: { !$0.isFinite }) { first = (row, c) }
            }
            return first
        }
    }

    /// The index of the first missing or infinite value; the search runs only when ``allFinite(_:)`` says
    /// there is one.
    static func firstNonFinite(in values: [Double]) -> Int? {
        guard !allFinite(values) else { return nil }
        return values.firstIndex { !$0.isFinite }
    }

    /// Whether every value is finite, in one pass the compiler vectorises: x − x is 0 for a finite x
    /// and NaN for an infinite or NaN one, so the sum stays 0 only when all are finite.
    static func allFinite(_ values: [Double]) -> Bool {
        values.withUnsafeBufferPointer { v in
            var lanes = SIMD4<Double>()
            var index = 0
            while index + 4 <= v.count {
                let x = SIMD4(v[index], v[index + 1], v[index + 2], v[index + 3])
                lanes += x - x
                index += 4
            }
            var rest = 0.0
            while index < v.count {
                rest += v[index] - v[index]
                index += 1
            }
            return lanes.sum() + rest == 0
        }
    }
}
