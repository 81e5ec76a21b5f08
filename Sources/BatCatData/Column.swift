/// One value of any column type, or a missing value; used for rows, keys and display.
public enum Cell: Hashable, Sendable, CustomStringConvertible {
    /// A missing value.
    case missing
    /// A floating-point value.
    case double(Double)
    /// An integer value.
    case int(Int)
    /// A boolean value.
    case bool(Bool)
    /// A text value.
    case string(String)
    /// An instant, in seconds since 1970-01-01T00:00:00Z.
    case date(Double)

    /// The value as written to CSV: shortest round-trip numbers, ISO-8601 dates, empty when missing.
    public var description: String {
        switch self {
        case .missing: ""
        case .double(let value): NumberFormatting.shortest(value)
        case .int(let value): String(value)
        case .bool(let value): value ? "true" : "false"
        case .string(let value): value
        case .date(let value): ISODate.format(value)
        }
    }

    /// The value as a number, when it is one (`int`, `double`, `bool` as 0/1, `date` as seconds).
    public var number: Double? {
        switch self {
        case .double(let value): value
        case .int(let value): Double(value)
        case .bool(let value): value ? 1 : 0
        case .date(let value): value
        case .missing, .string: nil
        }
    }

    /// Orders cells of one type; a missing value comes after everything else.
    static func ascending(_ a: Cell, _ b: Cell) -> Bool {
        switch (a, b) {
        case (.missing, _): false
        case (_, .missing): true
        case (.string(let x), .string(let y)): x < y
        case (.bool(let x), .bool(let y)): !x && y
        case (.int(let x), .int(let y)): x < y
        default: (a.number ?? 0) < (b.number ?? 0)
        }
    }
}

/// Text values, stored plainly or as a dictionary of distinct values and a code per row.
///
/// ``init(_:)`` chooses dictionary encoding when at most half the rows hold distinct values.
public struct StringValues: Sendable, Equatable {
    enum Storage: Sendable {
        case plain([String])
        case dictionary(codes: [Int32], values: [String])
    }

    var storage: Storage

    /// Stores `values`, dictionary-encoded when that saves space.
    public init(_ values: [String]) {
        storage = .plain(values)
        encodeIfItPays()
    }

    init(codes: [Int32], values: [String]) {
        storage = .dictionary(codes: codes, values: values)
    }

    /// The number of values.
    public var count: Int {
        switch storage {
        case .plain(let values): values.count
        case .dictionary(let codes, _): codes.count
        }
    }

    /// Whether the values are stored as dictionary codes.
    public var isDictionaryEncoded: Bool {
        if case .dictionary = storage { return true }
        return false
    }

    /// The value at `index`.
    public subscript(index: Int) -> String {
        switch storage {
        case .plain(let values): values[index]
        case .dictionary(let codes, let values): values[Int(codes[index])]
        }
    }

    /// All values, decoded.
    public var array: [String] {
        switch storage {
        case .plain(let values): values
        case .dictionary(let codes, let values): codes.map { values[Int($0)] }
        }
    }

    mutating func encodeIfItPays() {
        guard case .plain(let values) = storage, values.count >= 16 else { return }
        var lookup: [String: Int32] = [:]
        var distinct: [String] = []
        var codes: [Int32] = []
        codes.reserveCapacity(values.count)
        let limit = values.count / 2
        for value in values {
            if let code = lookup[value] {
                codes.append(code)
            } else {
                if distinct.count >= limit { return }
                let code = Int32(distinct.count)
                lookup[value] = code
                distinct.append(value)
                codes.append(code)
            }
        }
        storage = .dictionary(codes: codes, values: distinct)
    }

    /// Calls `body` with each value's UTF-8 bytes in row order (placeholders at missing rows included),
    /// without making a `String` per row: a dictionary's texts are encoded once.
    public func forEachUTF8(_ body: (UnsafeRawBufferPointer) -> Void) {
        switch storage {
        case .plain(let values):
            for value in values {
                var value = value
                value.withUTF8 { body(UnsafeRawBufferPointer($0)) }
            }
        case .dictionary(let codes, let values):
            let encoded = values.map { Array($0.utf8) }
            for code in codes { encoded[Int(code)].withUnsafeBytes(body) }
        }
    }

    func gathering(_ indices: [Int]) -> StringValues {
        switch storage {
        case .plain(let values): StringValues(indices.map { values[$0] })
        case .dictionary(let codes, let values): StringValues(codes: indices.map { codes[$0] }, values: values)
        }
    }

    /// Equal when the decoded values are equal, whatever the storage.
    public static func == (lhs: StringValues, rhs: StringValues) -> Bool {
        lhs.count == rhs.count && (0..<lhs.count).allSatisfy { lhs[$0] == rhs[$0] }
    }
}

/// The values of a column, one array per type.
public enum ColumnValues: Sendable, Equatable {
    /// Floating-point values.
    case double([Double])
    /// Integer values.
    case int([Int])
    /// Boolean values.
    case bool([Bool])
    /// Text values.
    case string(StringValues)
    /// Instants, in seconds since 1970-01-01T00:00:00Z.
    case date([Double])
}

extension Column {
    /// Equal when names, types and missing positions match and the present values are equal
    /// (NaN equals NaN); the placeholders at missing positions do not count.
    public static func == (lhs: Column, rhs: Column) -> Bool {
        guard lhs.name == rhs.name, lhs.type == rhs.type, lhs.count == rhs.count else { return false }
        for index in 0..<lhs.count {
            let a = lhs.cell(index)
            let b = rhs.cell(index)
            if a == b { continue }
            if case .double(let x) = a, case .double(let y) = b, x.isNaN && y.isNaN { continue }
            return false
        }
        return true
    }
}

/// A named, typed column with a missing-value mask.
///
/// Values at missing positions hold a placeholder (0, `false`, `""`) and are never read as data.
///
/// ## Topics
/// - ``init(_:doubles:missing:)``
/// - ``init(_:ints:missing:)``
/// - ``init(_:strings:missing:)``
/// - ``init(_:bools:missing:)``
/// - ``init(_:dates:missing:)``
/// - ``cell(_:)``
/// - ``doubles``
public struct Column: Sendable, Equatable {
    /// The column's name.
    public var name: String
    /// The values.
    public var values: ColumnValues
    /// `true` where a value is missing; `nil` when none is.
    public var missing: [Bool]?

    /// Creates a column from its parts; `missing` must be `nil` or as long as the values.
    public init(_ name: String, values: ColumnValues, missing: [Bool]? = nil) {
        self.name = name
        self.values = values
        self.missing = missing.flatMap { $0.contains(true) ? $0 : nil }
        precondition(self.missing == nil || self.missing!.count == count, "missing mask length differs from the values")
    }

    /// A column of doubles; `nil` entries are missing.
    public init(_ name: String, doubles: [Double?]) {
        self.init(name, values: .double(doubles.map { $0 ?? 0 }), missing: doubles.map { $0 == nil })
    }

    /// A column of doubles with an optional mask.
    public init(_ name: String, doubles: [Double], missing: [Bool]? = nil) {
        self.init(name, values: .double(doubles), missing: missing)
    }

    /// A column of integers; `nil` entries are missing.
    public init(_ name: String, ints: [Int?]) {
        self.init(name, values: .int(ints.map { $0 ?? 0 }), missing: ints.map { $0 == nil })
    }

    /// A column of integers with an optional mask.
    public init(_ name: String, ints: [Int], missing: [Bool]? = nil) {
        self.init(name, values: .int(ints), missing: missing)
    }

    /// A column of text; `nil` entries are missing.
    public init(_ name: String, strings: [String?]) {
        self.init(name, values: .string(StringValues(strings.map { $0 ?? "" })), missing: strings.map { $0 == nil })
    }

    /// A column of text with an optional mask.
    public init(_ name: String, strings: [String], missing: [Bool]? = nil) {
        self.init(name, values: .string(StringValues(strings)), missing: missing)
    }

    /// A column of booleans; `nil` entries are missing.
    public init(_ name: String, bools: [Bool?]) {
        self.init(name, values: .bool(bools.map { $0 ?? false }), missing: bools.map { $0 == nil })
    }

    /// A column of instants (seconds since 1970); `nil` entries are missing.
    public init(_ name: String, dates: [Double?]) {
        self.init(name, values: .date(dates.map { $0 ?? 0 }), missing: dates.map { $0 == nil })
    }

    /// The number of rows.
    public var count: Int {
        switch values {
        case .double(let v): v.count
        case .int(let v): v.count
        case .bool(let v): v.count
        case .string(let v): v.count
        case .date(let v): v.count
        }
    }

    /// The values' type.
    public var type: ColumnType {
        switch values {
        case .double: .double
        case .int: .int
        case .bool: .bool
        case .string: .string
        case .date: .date
        }
    }

    /// The column's field in a schema.
    public var field: Field { Field(name, type, nullable: missing != nil) }

    /// Whether the value at `index` is missing.
    @inline(__always)
    public func isMissing(_ index: Int) -> Bool { missing?[index] ?? false }

    /// The first row holding +∞ or −∞ (doubles only; other types cannot), or `nil`.
    public func firstInfinite() -> Int? {
        guard case .double(let values) = self.values else { return nil }
        return values.withUnsafeBufferPointer { v -> Int? in
            // One branch-free pass first, the largest magnitude four lanes at a time (NaN never compares
            // greater): |x| == ∞ is rare, so the search by index runs only when there is one.
            var largest = SIMD4<Double>(repeating: 0)
            let whole = v.count & ~3
            var index = 0
            while index < whole {
                let lane = SIMD4(v[index], v[index + 1], v[index + 2], v[index + 3])
                largest.replace(with: lane, where: lane .> largest)
                largest.replace(with: -lane, where: -lane .> largest)
                index += 4
            }
            var any = largest.max() == .infinity
            for x in v[whole...] where x.magnitude == .infinity { any = true }
            guard any else { return nil }
            return v.indices.first { v[$0].magnitude == .infinity && !isMissing($0) }
        }
    }

    /// How many values are missing.
    public var missingCount: Int { missing?.reduce(0) { $0 + ($1 ? 1 : 0) } ?? 0 }

    /// The value at `index`.
    public func cell(_ index: Int) -> Cell {
        if isMissing(index) { return .missing }
        switch values {
        case .double(let v): return .double(v[index])
        case .int(let v): return .int(v[index])
        case .bool(let v): return .bool(v[index])
        case .string(let v): return .string(v[index])
        case .date(let v): return .date(v[index])
        }
    }

    /// The values as doubles (integers and booleans converted), with NaN where missing; `nil` for text.
    public var doubles: [Double]? {
        guard var out = converted else { return nil }
        if let missing {
            for index in out.indices where missing[index] { out[index] = .nan }
        }
        return out
    }

    /// The values that are not missing, as doubles, in row order; `nil` for text. What a statistic over
    /// the column reads: doubles and dates without a missing mask hand over their storage.
    public var presentDoubles: [Double]? {
        guard let all = converted else { return nil }
        guard let missing else { return all }
        var present: [Double] = []
        present.reserveCapacity(all.count)
        for index in all.indices where !missing[index] { present.append(all[index]) }
        return present
    }

    /// Every slot as a double, whatever it holds where a value is missing; `nil` for text.
    private var converted: [Double]? {
        switch values {
        case .double(let v): v
        case .int(let v): v.map(Double.init)
        case .bool(let v): v.map { $0 ? 1 : 0 }
        case .date(let v): v
        case .string: nil
        }
    }

    /// The column with only the rows at `indices`, in that order.
    public func gathering(_ indices: [Int]) -> Column {
        let mask = missing.map { m in indices.map { m[$0] } }
        switch values {
        case .double(let v): return Column(name, values: .double(indices.map { v[$0] }), missing: mask)
        case .int(let v): return Column(name, values: .int(indices.map { v[$0] }), missing: mask)
        case .bool(let v): return Column(name, values: .bool(indices.map { v[$0] }), missing: mask)
        case .string(let v): return Column(name, values: .string(v.gathering(indices)), missing: mask)
        case .date(let v): return Column(name, values: .date(indices.map { v[$0] }), missing: mask)
        }
    }

    /// The column with the rows at `indices`; a `nil` index gives a missing value (for outer joins).
    public func gathering(_ indices: [Int?]) -> Column {
        let mask = indices.map { $0 == nil || isMissing($0!) }
        let present = indices.map { $0 ?? 0 }
        if count == 0 {
            return Column(name, values: Column.empty(type, count: indices.count), missing: indices.isEmpty ? nil : mask)
        }
        var result = gathering(present)
        result.missing = mask.contains(true) ? mask : nil
        return result
    }

    /// A column of `type` with `count` placeholder values.
    static func empty(_ type: ColumnType, count: Int) -> ColumnValues {
        switch type {
        case .double: .double(Array(repeating: 0, count: count))
        case .int: .int(Array(repeating: 0, count: count))
        case .bool: .bool(Array(repeating: false, count: count))
        case .string: .string(StringValues(Array(repeating: "", count: count)))
        case .date: .date(Array(repeating: 0, count: count))
        }
    }

    /// This column followed by `other`'s rows; integers widen to doubles when the other column has doubles.
    public func appending(_ other: Column) throws(DataError) -> Column {
        let mask: [Bool]? =
            (missing == nil && other.missing == nil)
            ? nil : (missing ?? Array(repeating: false, count: count)) + (other.missing ?? Array(repeating: false, count: other.count))
        switch (values, other.values) {
        case (.double(let a), .double(let b)): return Column(name, values: .double(a + b), missing: mask)
        case (.int(let a), .int(let b)): return Column(name, values: .int(a + b), missing: mask)
        case (.int(let a), .double(let b)): return Column(name, values: .double(a.map(Double.init) + b), missing: mask)
        case (.double(let a), .int(let b)): return Column(name, values: .double(a + b.map(Double.init)), missing: mask)
        case (.bool(let a), .bool(let b)): return Column(name, values: .bool(a + b), missing: mask)
        case (.string(let a), .string(let b)): return Column(name, values: .string(StringValues(a.array + b.array)), missing: mask)
        case (.date(let a), .date(let b)): return Column(name, values: .date(a + b), missing: mask)
        default:
            throw DataError(
                .typeMismatch, "cannot append column '\(name)' of type \(other.type) to one of type \(type)",
                hints: ["convert one of the columns first so both have the same type"])
        }
    }
}

extension Column {
    /// Each row's value as a code into `texts`, −1 where it is missing; a value's text is as
    /// ``Cell/description`` writes it. A dictionary-encoded text column hands over its codes (no text is
    /// made or hashed per row); other columns are encoded here. `texts` may hold a text twice, or one that
    /// no row uses (a gathered column keeps its whole dictionary), so count by code, then by text.
    public var textCodes: (codes: [Int32], texts: [String]) {
        switch values {
        case .string(let text):
            if case .dictionary(let codes, let distinct) = text.storage { return (markingMissing(codes), distinct) }
            return encodedTexts { text[$0] }
        case .bool(let flags):
            return (markingMissing(flags.map { $0 ? 1 : 0 }), ["false", "true"])
        default:
            return encodedTexts { cell($0).description }
        }
    }

    /// How often each present value occurs, by its text (as ``textCodes`` spells it).
    public var textCounts: [String: Int] {
        let (codes, texts) = textCodes
        var byCode = [Int](repeating: 0, count: texts.count)
        for code in codes where code >= 0 { byCode[Int(code)] += 1 }
        var counts: [String: Int] = [:]
        for (code, count) in byCode.enumerated() where count > 0 { counts[texts[code], default: 0] += count }
        return counts
    }

    /// A text column from codes into `texts` (−1 for a missing value), stored as a dictionary.
    public init(_ name: String, codes: [Int32], texts: [String]) {
        // A missing value's slot points at a text like any other, so the dictionary is never empty.
        let dictionary = texts.isEmpty ? [""] : texts
        self.init(
            name, values: .string(StringValues(codes: codes.map { Swift.max($0, 0) }, values: dictionary)),
            missing: codes.map { $0 < 0 })
    }

    private func markingMissing(_ codes: [Int32]) -> [Int32] {
        guard let missing else { return codes }
        var marked = codes
        for index in marked.indices where missing[index] { marked[index] = -1 }
        return marked
    }

    private func encodedTexts(_ text: (Int) -> String) -> (codes: [Int32], texts: [String]) {
        var lookup: [String: Int32] = [:]
        var texts: [String] = []
        var codes: [Int32] = []
        codes.reserveCapacity(count)
        for index in 0..<count {
            guard !isMissing(index) else {
                codes.append(-1)
                continue
            }
            let value = text(index)
            if let code = lookup[value] {
                codes.append(code)
            } else {
                let code = Int32(texts.count)
                lookup[value] = code
                texts.append(value)
                codes.append(code)
            }
        }
        return (codes, texts)
    }
}
