/// Recognises the texts that mean "missing" without making strings.
struct MissingMatcher: Sendable {
    private var markers: [[UInt8]]
    private var firstBytes = [Bool](repeating: false, count: 256)
    private var maxLength = 0
    let emptyIsMissing: Bool

    init(_ markers: [String]) {
        self.markers = markers.map { Array($0.utf8) }.filter { !$0.isEmpty }
        emptyIsMissing = markers.contains("")
        for marker in self.markers {
            firstBytes[Int(marker[0])] = true
            maxLength = max(maxLength, marker.count)
        }
    }

    /// Whether a field starting with `byte` could be a (non-empty) marker.
    @inline(__always)
    func mayStart(with byte: UInt8) -> Bool { firstBytes[Int(byte)] }

    @inline(__always)
    func matches(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Bool {
        let length = end - start
        if length == 0 { return emptyIsMissing }
        if length > maxLength || !firstBytes[Int(start.pointee)] { return false }
        for marker in markers where marker.count == length {
            var equal = true
            for index in 0..<length where marker[index] != start[index] {
                equal = false
                break
            }
            if equal { return true }
        }
        return false
    }
}

/// Why a field could not be appended.
enum AppendFailure: Error {
    case notANumber, notAnInteger, notABoolean, notADate, invalidUTF8

    /// "is not a number", …
    var expectation: String {
        switch self {
        case .notANumber: "is not a number"
        case .notAnInteger: "is not an integer"
        case .notABoolean: "is not true or false"
        case .notADate: "is not an ISO-8601 date"
        case .invalidUTF8: "is not valid UTF-8 text"
        }
    }
}

/// Accumulates one column's values while a CSV is parsed.
final class ColumnBuilder {
    private(set) var type: ColumnType
    // The parser is the only writer of a builder, one thread each; dynamic exclusivity checks cost a
    // tenth of the parse and protect nothing here.
    @exclusivity(unchecked) private var doubles: RawBuffer<Double>
    private var ints: RawBuffer<Int>
    private var bools: RawBuffer<Bool>
    private var strings = StringBuilder()
    @exclusivity(unchecked) private var missing = RawBuffer<Bool>(capacity: 0)
    @exclusivity(unchecked) private var hasMissing = false
    @exclusivity(unchecked) private(set) var count = 0

    init(type: ColumnType, capacity: Int = 0) {
        self.type = type
        doubles = RawBuffer(capacity: type == .double || type == .date ? capacity : 0)
        ints = RawBuffer(capacity: type == .int ? capacity : 0)
        bools = RawBuffer(capacity: type == .bool ? capacity : 0)
    }

    @inline(__always)
    private func markPresent() {
        if hasMissing { missing.append(false) }
        count += 1
    }

    func appendMissing() {
        switch type {
        case .double, .date: doubles.append(0)
        case .int: ints.append(0)
        case .bool: bools.append(false)
        case .string: strings.append("")
        }
        if !hasMissing {
            hasMissing = true
            missing.reserve(max(count * 2, 1024))
            missing.append(repeating: false, count: count)
        }
        missing.append(true)
        count += 1
    }

    /// Appends a double to a double column (the parser's fast path).
    @inline(__always)
    func appendDouble(_ value: Double) {
        doubles.append(value)
        markPresent()
    }

    /// Appends the field `[start, end)`; `escaped` fields hold doubled quotes to undo.
    ///
    /// Missing markers apply to every field of a non-text column, but only to unquoted fields of a
    /// text column: `""` and `"NA"` are the texts "" and "NA", so written text reads back exactly.
    @inline(__always)
    func append(
        _ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, escaped: Bool, quoted: Bool, matcher: MissingMatcher
    ) throws(AppendFailure) {
        if (!quoted || type != .string) && matcher.matches(start, end) {
            appendMissing()
            return
        }
        switch type {
        case .double:
            let (s, e) = trimmed(start, end)
            guard let value = NumberParsing.double(s, e) else { throw .notANumber }
            doubles.append(value)
        case .int:
            let (s, e) = trimmed(start, end)
            if let value = NumberParsing.int(s, e) {
                ints.append(value)
            } else if let value = NumberParsing.double(s, e) {
                promoteToDouble()
                doubles.append(value)
            } else {
                throw .notAnInteger
            }
        case .bool:
            let (s, e) = trimmed(start, end)
            guard let value = ColumnBuilder.bool(s, e) else { throw .notABoolean }
            bools.append(value)
        case .date:
            let (s, e) = trimmed(start, end)
            guard let value = ISODate.parse(s, e) else { throw .notADate }
            doubles.append(value)
        case .string:
            let text: String?
            if escaped {
                var bytes: [UInt8] = []
                bytes.reserveCapacity(end - start)
                var p = start
                while p < end {
                    bytes.append(p.pointee)
                    p += (p.pointee == UInt8(ascii: "\"") && p + 1 < end && p[1] == UInt8(ascii: "\"")) ? 2 : 1
                }
                text = String(validating: bytes, as: UTF8.self)
            } else {
                text = String(validating: UnsafeBufferPointer(start: start, count: end - start), as: UTF8.self)
            }
            guard let text else { throw .invalidUTF8 }
            strings.append(text)
        }
        markPresent()
    }

    @inline(__always)
    private func trimmed(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> (UnsafePointer<UInt8>, UnsafePointer<UInt8>) {
        var s = start
        var e = end
        while s < e && (s.pointee == 0x20 || s.pointee == 0x09) { s += 1 }
        while e > s && (e[-1] == 0x20 || e[-1] == 0x09) { e -= 1 }
        return (s, e)
    }

    static func bool(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Bool? {
        switch end - start {
        case 4:
            let word = String(decoding: UnsafeBufferPointer(start: start, count: 4), as: UTF8.self)
            return word == "true" || word == "True" || word == "TRUE" ? true : nil
        case 5:
            let word = String(decoding: UnsafeBufferPointer(start: start, count: 5), as: UTF8.self)
            return word == "false" || word == "False" || word == "FALSE" ? false : nil
        default:
            return nil
        }
    }

    private func promoteToDouble() {
        guard type == .int else { return }
        type = .double
        var widened = RawBuffer<Double>(capacity: max(ints.count * 2, 16))
        for index in 0..<ints.count { widened.append(Double(ints[index])) }
        doubles = widened
        ints = RawBuffer(capacity: 0)
    }

    /// Appends another builder's values (a later segment of the same column).
    func append(contentsOf other: ColumnBuilder) {
        if type == .int && other.type == .double { promoteToDouble() }
        if type == .double && other.type == .int { other.promoteToDouble() }
        if other.hasMissing || hasMissing {
            if !hasMissing {
                hasMissing = true
                missing.reserve(count + other.count)
                missing.append(repeating: false, count: count)
            }
            if other.hasMissing {
                missing.append(contentsOf: other.missing)
            } else {
                missing.append(repeating: false, count: other.count)
            }
        }
        count += other.count
        switch type {
        case .double, .date: doubles.append(contentsOf: other.doubles)
        case .int: ints.append(contentsOf: other.ints)
        case .bool: bools.append(contentsOf: other.bools)
        case .string: strings.append(contentsOf: other.strings)
        }
    }

    /// Reserves room for `total` values.
    func reserve(_ total: Int) {
        switch type {
        case .double, .date: doubles.reserve(total)
        case .int: ints.reserve(total)
        case .bool: bools.reserve(total)
        case .string: break
        }
    }

    /// Drops the values from row `rows` on (undoing a partly read record).
    func truncate(to rows: Int) {
        guard count > rows else { return }
        switch type {
        case .double, .date: doubles.truncate(to: rows)
        case .int: ints.truncate(to: rows)
        case .bool: bools.truncate(to: rows)
        case .string: strings.truncate(to: rows)
        }
        if hasMissing { missing.truncate(to: rows) }
        count = rows
    }

    /// Empties the builder but keeps its memory, for the next block.
    func reset() {
        doubles.truncate(to: 0)
        ints.truncate(to: 0)
        bools.truncate(to: 0)
        missing.truncate(to: 0)
        strings = StringBuilder()
        hasMissing = false
        count = 0
    }

    /// The finished column; the builder starts over empty.
    func finish(name: String) -> Column {
        let mask = hasMissing ? missing.array : nil
        let values: ColumnValues
        switch type {
        case .double: values = .double(doubles.array)
        case .date: values = .date(doubles.array)
        case .int: values = .int(ints.array)
        case .bool: values = .bool(bools.array)
        case .string: values = .string(strings.finish())
        }
        doubles = RawBuffer(capacity: 0)
        ints = RawBuffer(capacity: 0)
        bools = RawBuffer(capacity: 0)
        strings = StringBuilder()
        missing = RawBuffer(capacity: 0)
        hasMissing = false
        count = 0
        return Column(name, values: values, missing: mask)
    }
}

/// Builds text values, dictionary-encoded while few of them are distinct.
struct StringBuilder {
    private var plain: [String] = []
    private var codes: [Int32] = []
    private var distinct: [String] = []
    private var lookup: [String: Int32] = [:]
    private var encoded = true

    var count: Int { encoded ? codes.count : plain.count }

    mutating func truncate(to rows: Int) {
        if encoded { codes.removeLast(max(0, codes.count - rows)) } else { plain.removeLast(max(0, plain.count - rows)) }
    }

    mutating func append(_ text: String) {
        guard encoded else {
            plain.append(text)
            return
        }
        if let code = lookup[text] {
            codes.append(code)
            return
        }
        // Past 4096 rows with more than half of them distinct, a dictionary no longer pays.
        if distinct.count >= 4096 && distinct.count * 2 > codes.count {
            plain = codes.map { distinct[Int($0)] }
            plain.append(text)
            codes = []
            distinct = []
            lookup = [:]
            encoded = false
            return
        }
        let code = Int32(distinct.count)
        lookup[text] = code
        distinct.append(text)
        codes.append(code)
    }

    mutating func append(contentsOf other: StringBuilder) {
        if other.encoded {
            for code in other.codes { append(other.distinct[Int(code)]) }
        } else {
            for text in other.plain { append(text) }
        }
    }

    func finish() -> StringValues {
        encoded ? StringValues(codes: codes, values: distinct) : StringValues(plain)
    }
}
