import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Summary statistics of a frame's columns, as `batcat describe` prints them.
///
/// Numbers and dates get count, missing, mean, std, min, 25 %, 50 %, 75 % and max; text and
/// booleans get count, missing, unique and top (the most frequent value; of equally
/// frequent values, the one first in sort order, so the answer does not depend on row order).
public struct FrameDescription: Sendable, Equatable, Codable {
    /// One column's statistics; the fields that do not apply to its type are `nil`.
    public struct ColumnSummary: Sendable, Equatable, Codable {
        /// The column's name.
        public var name: String
        /// The column's type.
        public var type: ColumnType
        /// Non-missing values.
        public var count: Int
        /// Missing values.
        public var missing: Int
        /// Mean of the values.
        public var mean: Double?
        /// Sample standard deviation (n − 1).
        public var std: Double?
        /// Smallest value.
        public var min: Double?
        /// First quartile (linear interpolation).
        public var q25: Double?
        /// Median.
        public var q50: Double?
        /// Third quartile.
        public var q75: Double?
        /// Largest value.
        public var max: Double?
        /// Distinct non-missing values (text and booleans).
        public var unique: Int?
        /// The most frequent value (text and booleans).
        public var top: String?
        /// How often ``top`` occurs.
        public var topCount: Int?
    }

    /// The number of rows described.
    public var rows: Int
    /// One summary per column, in column order.
    public var columns: [ColumnSummary]

    /// A text table, one line per column.
    public func table() -> String {
        let headers = ["column", "type", "count", "missing", "mean", "std", "min", "25%", "50%", "75%", "max", "unique", "top"]
        var lines: [[String]] = [headers]
        for summary in columns {
            func number(_ value: Double?) -> String {
                guard let value else { return "" }
                return summary.type == .date ? ISODate.format(value) : NumberFormatting.significant(value, digits: 6)
            }
            lines.append([
                summary.name, summary.type.rawValue, String(summary.count), String(summary.missing),
                number(summary.mean), summary.type == .date ? "" : number(summary.std),
                number(summary.min), number(summary.q25), number(summary.q50), number(summary.q75), number(summary.max),
                summary.unique.map(String.init) ?? "", summary.top ?? "",
            ])
        }
        return TextTable.render(lines, rightAligned: Set(2..<12))
    }
}

extension DataFrame {
    /// Summary statistics of every column (or of `names`), computed in parallel across columns.
    public func describe(_ names: [String]? = nil) throws(DataError) -> FrameDescription {
        let picked = try selecting(names ?? columnNames)
        let count = picked.columns.count
        let columns = picked.columns
        return FrameDescription(rows: rowCount, columns: concurrentMap(count) { DataFrame.summary(of: columns[$0]) })
    }

    static func summary(of column: Column) -> FrameDescription.ColumnSummary {
        let missing = column.missingCount
        var summary = FrameDescription.ColumnSummary(name: column.name, type: column.type, count: column.count - missing, missing: missing)
        switch column.type {
        case .double, .int, .date:
            var values = column.presentDoubles ?? []
            guard !values.isEmpty else { return summary }
            let mean = Statistics.mean(values)
            summary.mean = mean
            summary.std = Statistics.standardDeviation(values, mean: mean)
            // The smallest and largest values are the quantiles 0 and 1: no pass of their own.
            let q = Statistics.quantiles(&values, [0, 0.25, 0.5, 0.75, 1])
            summary.min = q[0]
            summary.q25 = q[1]
            summary.q50 = q[2]
            summary.q75 = q[3]
            summary.max = q[4]
        case .string, .bool:
            let counts = column.textCounts
            summary.unique = counts.count
            if let best = counts.max(by: { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }) {
                summary.top = best.key
                summary.topCount = best.value
            }
        }
        return summary
    }
}

extension NumberFormatting {
    /// `value` rounded to `digits` significant digits, in the shortest form for display: 152.133, 4, 1.5e+20.
    public static func significant(_ value: Double, digits: Int) -> String {
        if value == 0 { return "0" }
        guard value.isFinite else { return shortest(value) }
        let magnitude = Int(floor(log10(Swift.abs(value))))
        let scale = digits - 1 - magnitude
        let rounded: Double
        if scale >= 0 && scale <= 300 {
            let factor = pow(10.0, Double(scale))
            rounded = (value * factor).rounded() / factor
        } else if scale < 0 && scale >= -300 {
            let factor = pow(10.0, Double(-scale))
            rounded = (value / factor).rounded() * factor
        } else {
            rounded = value
        }
        let text = shortest(rounded)
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
}

/// Aligned plain-text tables for terminal output.
public enum TextTable {
    /// Renders rows (the first is the header) with two spaces between columns.
    public static func render(_ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        guard let width = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: width)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = Swift.max(widths[index], cell.count) }
        }
        var out = ""
        for row in rows {
            var line = ""
            for index in 0..<width {
                let cell = index < row.count ? row[index] : ""
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                if index > 0 { line += "  " }
                line += rightAligned.contains(index) ? pad + cell : cell + pad
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }
}
