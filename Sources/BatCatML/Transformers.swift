import BatCatData

/// A preprocessing step: settings only. ``fit(_:)`` learns from a frame and returns the fitted step.
public protocol Transformer: Codable, Hashable, Sendable {
    /// The fitted step type.
    associatedtype Fitted: FittedTransformer
    /// Learns what the step needs (means, categories, bounds) from `frame`.
    func fit(_ frame: DataFrame) throws(MLError) -> Fitted
}

/// A fitted preprocessing step.
public protocol FittedTransformer: Codable, Equatable, Sendable {
    /// Applies the step; columns it does not touch pass through unchanged.
    func transform(_ frame: DataFrame) throws(MLError) -> DataFrame
}

extension DataFrame {
    /// The named columns, or every column whose type passes `filter`; unknown names are errors.
    func columns(named names: [String]?, where filter: (Column) -> Bool) throws(MLError) -> [Column] {
        if let names {
            var picked: [Column] = []
            for name in names {
                guard let column = self[name] else {
                    throw MLError(
                        .schemaMismatch, "no column named '\(name)'", hints: ["the columns are: \(columnNames.joined(separator: ", "))"])
                }
                picked.append(column)
            }
            return picked
        }
        return columns.filter(filter)
    }

    /// This frame with `column` replacing the one of the same name (or added at the end).
    func replacing(_ column: Column) throws(MLError) -> DataFrame {
        do {
            return try adding(column)
        } catch {
            throw MLError(.invalidData, error.message, cause: error)
        }
    }
}

extension Column {
    /// The distinct non-missing values, as text, sorted: an encoder's categories.
    var sortedCategories: [String] { textCounts.keys.sorted() }
}

/// The non-missing numbers of a column, or an error naming it when it holds text.
func numericValues(_ column: Column, step: String) throws(MLError) -> [Double] {
    guard let present = column.presentDoubles else {
        throw MLError(
            .invalidData, "\(step) needs numbers, but column '\(column.name)' holds text",
            hints: ["encode text columns first (OneHotEncoder or OrdinalEncoder), or leave this column out of the step"])
    }
    return present
}

/// A numeric column's values as doubles, keeping missing values missing.
func doubleColumn(_ column: Column, name: String? = nil, _ transform: (Double) -> Double) throws(MLError) -> Column {
    guard let doubles = column.doubles else {
        throw MLError(.invalidData, "column '\(column.name)' holds text, not numbers", hints: ["encode it first"])
    }
    var out = [Double](repeating: 0, count: doubles.count)
    for index in doubles.indices where !column.isMissing(index) { out[index] = transform(doubles[index]) }
    return Column(name ?? column.name, doubles: out, missing: column.missing)
}

// MARK: - Imputation

/// Fills missing values, as scikit-learn's `SimpleImputer`, optionally adding a 0/1 indicator column
/// `<name>_missing` for each column that had missing values in training.
public struct SimpleImputer: Transformer {
    /// What a missing value becomes.
    public enum Strategy: String, Codable, Hashable, Sendable {
        /// The column's mean (numbers).
        case mean
        /// The column's median (numbers).
        case median
        /// The most frequent value (ties: the smallest).
        case mostFrequent
        /// ``SimpleImputer/fillValue``.
        case constant
    }

    /// What a missing value becomes.
    public var strategy: Strategy = .mean
    /// The value for the `constant` strategy (a number for numeric columns, text otherwise).
    public var fillValue: String?
    /// Whether to add `<name>_missing` indicator columns.
    public var addIndicator = false
    /// The columns to fill; `nil` means every column the strategy applies to.
    public var columns: [String]?

    /// Defaults: mean, no indicators, every numeric column.
    public init(strategy: Strategy = .mean, fillValue: String? = nil, addIndicator: Bool = false, columns: [String]? = nil) {
        self.strategy = strategy
        self.fillValue = fillValue
        self.addIndicator = addIndicator
        self.columns = columns
    }

    /// The learned fill values.
    public struct Fitted: FittedTransformer {
        /// The value each column's missing entries get.
        public var fills: [String: FillValue]
        /// The columns, in order.
        public var columns: [String]
        /// Columns that get an indicator.
        public var indicators: [String]

        /// Fills missing values and appends the indicators.
        public func transform(_ frame: DataFrame) throws(MLError) -> DataFrame {
            var result = frame
            var added: [Column] = []
            for name in columns {
                let column = try requiredColumn(name, of: frame, by: "the imputer")
                if indicators.contains(name) {
                    added.append(Column("\(name)_missing", doubles: (0..<column.count).map { column.isMissing($0) ? 1 : 0 }))
                }
                guard let fill = fills[name], column.missing != nil else { continue }
                result = try result.replacing(SimpleImputer.filled(column, with: fill))
            }
            for column in added { result = try result.replacing(column) }
            return result
        }
    }

    /// Learns the fill values.
    public func fit(_ frame: DataFrame) throws(MLError) -> Fitted {
        let chosen = try frame.columns(named: columns) { strategy == .mostFrequent || strategy == .constant || $0.type.isNumeric }
        var fills: [String: FillValue] = [:]
        for column in chosen {
            switch strategy {
            case .mean, .median:
                let values = try numericValues(column, step: "SimpleImputer(\(strategy.rawValue))")
                guard !values.isEmpty else {
                    throw MLError(
                        .invalidData, "column '\(column.name)' has no values to take a \(strategy.rawValue) of",
                        hints: ["use strategy constant with a fillValue, or drop the column"])
                }
                var copy = values
                let value = strategy == .mean ? Statistics.mean(values) : Statistics.quantiles(&copy, [0.5])[0]!
                fills[column.name] = .number(value)
            case .mostFrequent where column.type == .string:
                // Counted by dictionary code; of equally frequent texts, the first in sort order.
                guard let best = column.textCounts.max(by: { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }) else {
                    throw MLError(.invalidData, "column '\(column.name)' has no values to find the most frequent of")
                }
                fills[column.name] = .text(best.key)
            case .mostFrequent:
                var counts: [Cell: Int] = [:]
                for index in 0..<column.count where !column.isMissing(index) { counts[column.cell(index), default: 0] += 1 }
                guard let best = counts.max(by: { $0.value != $1.value ? $0.value < $1.value : !Cell.sortsBefore($0.key, $1.key) }) else {
                    throw MLError(.invalidData, "column '\(column.name)' has no values to find the most frequent of")
                }
                fills[column.name] = best.key.number.map(FillValue.number) ?? .text(best.key.description)
            case .constant:
                guard let fillValue else {
                    throw MLError(
                        .invalidHyperparameter, "strategy constant needs a fillValue", hints: ["add fillValue: 0 (or a text) to the step"])
                }
                if column.type.isNumeric || column.type == .bool {
                    guard let number = Double(fillValue) else {
                        throw MLError(
                            .invalidHyperparameter, "fillValue '\(fillValue)' is not a number, but column '\(column.name)' is numeric")
                    }
                    fills[column.name] = .number(number)
                } else {
                    fills[column.name] = .text(fillValue)
                }
            }
        }
        let indicators = addIndicator ? chosen.filter { $0.missing != nil }.map(\.name) : []
        return Fitted(fills: fills, columns: chosen.map(\.name), indicators: indicators)
    }

    static func filled(_ column: Column, with fill: FillValue) throws(MLError) -> Column {
        switch fill {
        case .text(let text):
            // The fill is one more text; missing rows point at it.
            let (codes, texts) = column.textCodes
            let fill = Int32(texts.count)
            return Column(column.name, codes: codes.map { $0 < 0 ? fill : $0 }, texts: texts + [text])
        case .number(let number):
            guard let doubles = column.doubles else { throw MLError(.invalidData, "column '\(column.name)' holds text; fill it with text") }
            return Column(column.name, doubles: doubles.indices.map { column.isMissing($0) ? number : doubles[$0] })
        }
    }
}

/// A value an imputer fills in: a number, or a text.
public enum FillValue: Codable, Hashable, Sendable {
    /// A number.
    case number(Double)
    /// A text.
    case text(String)

    /// Encodes as a JSON number or string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let value): try container.encode(value)
        case .text(let value): try container.encode(value)
        }
    }

    /// Decodes a JSON number or string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else {
            self = .text(try container.decode(String.self))
        }
    }
}

extension Cell {
    /// A total order for tie-breaking: missing last, numbers by value, text by bytes.
    static func sortsBefore(_ a: Cell, _ b: Cell) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): x < y
        case (.string, _): false
        case (_, .string): true
        default: (a.number ?? .infinity) < (b.number ?? .infinity)
        }
    }
}

// MARK: - Categories

/// Replaces categories rarer than `minimumFrequency` (a fraction of the non-missing rows) with one label.
public struct RareLabelGrouper: Transformer {
    /// Categories below this share of rows are grouped.
    public var minimumFrequency = 0.05
    /// The label that replaces them.
    public var label = "Rare"
    /// The text columns to group; `nil` means every text column.
    public var columns: [String]?

    /// Defaults: 5 %, "Rare", every text column.
    public init(minimumFrequency: Double = 0.05, label: String = "Rare", columns: [String]? = nil) {
        self.minimumFrequency = minimumFrequency
        self.label = label
        self.columns = columns
    }

    /// The categories kept per column.
    public struct Fitted: FittedTransformer {
        /// Kept categories by column.
        public var kept: [String: [String]]
        /// The replacement label.
        public var label: String

        /// Replaces the categories not kept (including ones never seen).
        public func transform(_ frame: DataFrame) throws(MLError) -> DataFrame {
            var result = frame
            for (name, categories) in kept.sorted(by: { $0.key < $1.key }) {
                let column = try requiredColumn(name, of: frame, by: "the grouper")
                let keep = Set(categories)
                // Each distinct text is looked at once; the rows keep their codes.
                let (codes, texts) = column.textCodes
                let grouped = Column(name, codes: codes, texts: texts.map { keep.contains($0) ? $0 : label })
                result = try result.replacing(grouped)
            }
            return result
        }
    }

    /// Counts the categories.
    public func fit(_ frame: DataFrame) throws(MLError) -> Fitted {
        guard minimumFrequency >= 0, minimumFrequency < 1 else {
            throw MLError(.invalidHyperparameter, "minimumFrequency must be in [0, 1), not \(minimumFrequency)")
        }
        var kept: [String: [String]] = [:]
        for column in try frame.columns(named: columns, where: { $0.type == .string }) {
            let counts = column.textCounts
            let total = counts.values.reduce(0, +)
            kept[column.name] = counts.filter { Double($0.value) >= minimumFrequency * Double(total) }.keys.sorted()
        }
        return Fitted(kept: kept, label: label)
    }
}

/// What an encoder does with a category it did not see in training.
public enum UnknownCategoryPolicy: String, Codable, Hashable, Sendable {
    /// Refuse the input, naming the column and category.
    case error
    /// One-hot: all indicator columns 0. Ordinal: the code −1.
    case ignore
}

/// Replaces each text column by one 0/1 column per category seen in training, named `<column>=<category>`.
/// A missing value gives all zeros.
public struct OneHotEncoder: Transformer {
    /// What to do with unseen categories.
    public var unknown: UnknownCategoryPolicy = .error
    /// The columns to encode; `nil` means every text column.
    public var columns: [String]?

    /// Defaults: unknown categories are errors; every text column.
    public init(unknown: UnknownCategoryPolicy = .error, columns: [String]? = nil) {
        self.unknown = unknown
        self.columns = columns
    }

    /// The categories per column.
    public struct Fitted: FittedTransformer {
        /// The columns, in order.
        public var columns: [String]
        /// Sorted categories by column.
        public var categories: [String: [String]]
        /// The unknown-category policy.
        public var unknown: UnknownCategoryPolicy

        /// Replaces each encoded column by its indicator columns, in place.
        public func transform(_ frame: DataFrame) throws(MLError) -> DataFrame {
            var out: [Column] = []
            for column in frame.columns {
                guard columns.contains(column.name), let known = categories[column.name] else {
                    out.append(column)
                    continue
                }
                let position = Dictionary(uniqueKeysWithValues: known.enumerated().map { ($1, $0) })
                let (codes, texts) = column.textCodes
                let positionOfCode = texts.map { position[$0] }
                var indicators = [[Double]](repeating: [Double](repeating: 0, count: column.count), count: known.count)
                for row in 0..<column.count where codes[row] >= 0 {
                    if let k = positionOfCode[Int(codes[row])] {
                        indicators[k][row] = 1
                    } else if unknown == .error {
                        throw MLError(
                            .unknownCategory, "column '\(column.name)' has a category not seen in training (row \(row + 1))",
                            hints: [
                                "the known categories are: \(known.prefix(20).joined(separator: ", "))", "or train with unknown: ignore",
                            ])
                    }
                }
                for (k, category) in known.enumerated() { out.append(Column("\(column.name)=\(category)", doubles: indicators[k])) }
            }
            do {
                return try DataFrame(columns: out)
            } catch {
                throw MLError(.invalidData, error.message, cause: error)
            }
        }
    }

    /// Collects the categories.
    public func fit(_ frame: DataFrame) throws(MLError) -> Fitted {
        let chosen = try frame.columns(named: columns) { $0.type == .string || $0.type == .bool }
        var categories: [String: [String]] = [:]
        for column in chosen { categories[column.name] = column.sortedCategories }
        return Fitted(columns: chosen.map(\.name), categories: categories, unknown: unknown)
    }
}

/// Replaces each category by its position among the sorted categories seen in training (0, 1, …).
public struct OrdinalEncoder: Transformer {
    /// What to do with unseen categories (`ignore` gives −1).
    public var unknown: UnknownCategoryPolicy = .error
    /// The columns to encode; `nil` means every text column.
    public var columns: [String]?

    /// Defaults: unknown categories are errors; every text column.
    public init(unknown: UnknownCategoryPolicy = .error, columns: [String]? = nil) {
        self.unknown = unknown
        self.columns = columns
    }

    /// The categories per column.
    public struct Fitted: FittedTransformer {
        /// Sorted categories by column.
        public var categories: [String: [String]]
        /// The unknown-category policy.
        public var unknown: UnknownCategoryPolicy

        /// Replaces each encoded column by its codes; missing stays missing.
        public func transform(_ frame: DataFrame) throws(MLError) -> DataFrame {
            var result = frame
            for (name, known) in categories.sorted(by: { $0.key < $1.key }) {
                let column = try requiredColumn(name, of: frame, by: "the encoder")
                let position = Dictionary(uniqueKeysWithValues: known.enumerated().map { ($1, Double($0)) })
                let (rowCodes, texts) = column.textCodes
                let positionOfCode = texts.map { position[$0] }
                var codes: [Double?] = []
                codes.reserveCapacity(column.count)
                for row in 0..<column.count {
                    guard rowCodes[row] >= 0 else {
                        codes.append(nil)
                        continue
                    }
                    if let code = positionOfCode[Int(rowCodes[row])] {
                        codes.append(code)
                    } else if unknown == .ignore {
                        codes.append(-1)
                    } else {
                        throw MLError(
                            .unknownCategory, "column '\(name)' has a category not seen in training (row \(row + 1))",
                            hints: [
                                "the known categories are: \(known.prefix(20).joined(separator: ", "))", "or train with unknown: ignore",
                            ])
                    }
                }
                result = try result.replacing(Column(name, doubles: codes))
            }
            return result
        }
    }

    /// Collects the categories.
    public func fit(_ frame: DataFrame) throws(MLError) -> Fitted {
        var categories: [String: [String]] = [:]
        for column in try frame.columns(named: columns, where: { $0.type == .string || $0.type == .bool }) {
            categories[column.name] = column.sortedCategories
        }
        return Fitted(categories: categories, unknown: unknown)
    }
}

// MARK: - Scaling

/// A per-column affine map x ↦ (x − shift) / scale, the fitted form of every scaler.
public struct FittedScaler: FittedTransformer {
    /// Columns, in order.
    public var columns: [String]
    /// What is subtracted, per column.
    public var shifts: [Double]
    /// What the difference is divided by, per column (never 0).
    public var scales: [Double]

    /// Scales the columns; missing values stay missing.
    public func transform(_ frame: DataFrame) throws(MLError) -> DataFrame {
        var result = frame
        for (index, name) in columns.enumerated() {
            let column = try requiredColumn(name, of: frame, by: "the scaler")
            let shift = shifts[index]
            let scale = scales[index]
            result = try result.replacing(doubleColumn(column) { ($0 - shift) / scale })
        }
        return result
    }

    static func fit(
        _ frame: DataFrame, columns names: [String]?, step: String, _ parameters: ([Double]) -> (shift: Double, scale: Double)
    ) throws(MLError) -> FittedScaler {
        var columns: [String] = []
        var shifts: [Double] = []
        var scales: [Double] = []
        for column in try frame.columns(named: names, where: { $0.type.isNumeric }) {
            let values = try numericValues(column, step: step)
            let (shift, scale) = values.isEmpty ? (0, 1) : parameters(values)
            columns.append(column.name)
            shifts.append(shift)
            // A constant column keeps its spread of 0; dividing by 1 leaves it centred, as scikit-learn does.
            scales.append(scale == 0 || !scale.isFinite ? 1 : scale)
        }
        return FittedScaler(columns: columns, shifts: shifts, scales: scales)
    }
}

/// Centres each column on its mean and divides by its population standard deviation.
public struct StandardScaler: Transformer {
    /// Whether to subtract the mean.
    public var withMean = true
    /// Whether to divide by the standard deviation.
    public var withStd = true
    /// The columns; `nil` means every numeric column.
    public var columns: [String]?

    /// Defaults: centre and scale every numeric column.
    public init(withMean: Bool = true, withStd: Bool = true, columns: [String]? = nil) {
        self.withMean = withMean
        self.withStd = withStd
        self.columns = columns
    }

    /// Learns means and deviations.
    public func fit(_ frame: DataFrame) throws(MLError) -> FittedScaler {
        try FittedScaler.fit(frame, columns: columns, step: "StandardScaler") { values in
            let mean = Statistics.mean(values)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
            return (withMean ? mean : 0, withStd ? variance.squareRoot() : 1)
        }
    }
}

/// Maps each column's training range onto [0, 1].
public struct MinMaxScaler: Transformer {
    /// The columns; `nil` means every numeric column.
    public var columns: [String]?

    /// Every numeric column.
    public init(columns: [String]? = nil) {
        self.columns = columns
    }

    /// Learns minimums and ranges.
    public func fit(_ frame: DataFrame) throws(MLError) -> FittedScaler {
        try FittedScaler.fit(frame, columns: columns, step: "MinMaxScaler") { values in
            let low = values.min()!
            return (low, values.max()! - low)
        }
    }
}

/// Centres on the median and divides by the interquartile range, so outliers weigh less.
public struct RobustScaler: Transformer {
    /// The columns; `nil` means every numeric column.
    public var columns: [String]?

    /// Every numeric column.
    public init(columns: [String]? = nil) {
        self.columns = columns
    }

    /// Learns medians and interquartile ranges.
    public func fit(_ frame: DataFrame) throws(MLError) -> FittedScaler {
        try FittedScaler.fit(frame, columns: columns, step: "RobustScaler") { values in
            var copy = values
            let q = Statistics.quantiles(&copy, [0.25, 0.5, 0.75])
            return (q[1]!, q[2]! - q[0]!)
        }
    }
}

/// Clips each column to bounds learned in training: Tukey's fences (Q1 − k·IQR, Q3 + k·IQR) or two quantiles.
public struct OutlierCapper: Transformer {
    /// How the bounds are found.
    public enum Method: String, Codable, Hashable, Sendable {
        /// Q1 − fold·IQR and Q3 + fold·IQR.
        case iqr
        /// The `lower` and `upper` quantiles.
        case quantiles
    }

    /// How the bounds are found.
    public var method: Method = .iqr
    /// The IQR multiple for `iqr`.
    public var fold = 1.5
    /// The lower quantile for `quantiles`.
    public var lower = 0.05
    /// The upper quantile for `quantiles`.
    public var upper = 0.95
    /// The columns; `nil` means every numeric column.
    public var columns: [String]?

    /// Defaults: Tukey's fences with k = 1.5.
    public init(method: Method = .iqr, fold: Double = 1.5, lower: Double = 0.05, upper: Double = 0.95, columns: [String]? = nil) {
        self.method = method
        self.fold = fold
        self.lower = lower
        self.upper = upper
        self.columns = columns
    }

    /// The learned bounds.
    public struct Fitted: FittedTransformer {
        /// Columns, in order.
        public var columns: [String]
        /// Lower bounds.
        public var lowerBounds: [Double]
        /// Upper bounds.
        public var upperBounds: [Double]

        /// Clips the columns.
        public func transform(_ frame: DataFrame) throws(MLError) -> DataFrame {
            var result = frame
            for (index, name) in columns.enumerated() {
                let column = try requiredColumn(name, of: frame, by: "the capper")
                let low = lowerBounds[index]
                let high = upperBounds[index]
                result = try result.replacing(doubleColumn(column) { min(max($0, low), high) })
            }
            return result
        }
    }

    /// Learns the bounds.
    public func fit(_ frame: DataFrame) throws(MLError) -> Fitted {
        guard fold >= 0, (0...1).contains(lower), (0...1).contains(upper), lower <= upper else {
            throw MLError(.invalidHyperparameter, "OutlierCapper needs fold ≥ 0 and 0 ≤ lower ≤ upper ≤ 1")
        }
        var fitted = Fitted(columns: [], lowerBounds: [], upperBounds: [])
        for column in try frame.columns(named: columns, where: { $0.type.isNumeric }) {
            var values = try numericValues(column, step: "OutlierCapper")
            guard !values.isEmpty else { continue }
            let bounds: (Double, Double)
            switch method {
            case .iqr:
                let q = Statistics.quantiles(&values, [0.25, 0.75])
                let spread = q[1]! - q[0]!
                bounds = (q[0]! - fold * spread, q[1]! + fold * spread)
            case .quantiles:
                let q = Statistics.quantiles(&values, [lower, upper])
                bounds = (q[0]!, q[1]!)
            }
            fitted.columns.append(column.name)
            fitted.lowerBounds.append(bounds.0)
            fitted.upperBounds.append(bounds.1)
        }
        return fitted
    }
}

/// The column `name` of `frame`, or an error saying which step (`the scaler`, …) needs it.
func requiredColumn(_ name: String, of frame: DataFrame, by step: String) throws(MLError) -> Column {
    guard let column = frame[name] else {
        throw MLError(.schemaMismatch, "\(step) needs column '\(name)', which the input lacks")
    }
    return column
}
