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
}

/// Accumulates one column's values while a CSV is parsed.
struct ColumnBuilder {
    private(set) var type: ColumnType
    private var doubles: [Double] = []
    private var ints: [Int] = []
    private var bools: [Bool] = []
    private var strings = StringBuilder()
    private var missing: [Bool] = []
    private var hasMissing = false
    private(set) var count = 0

    init(type: ColumnType, capacity: Int = 0) {
        self.type = type
        switch type {
        case .double, .date: doubles.reserveCapacity(capacity)
        case .int: ints.reserveCapacity(capacity)
        case .bool: bools.reserveCapacity(capacity)
        case .string: break
        }
    }

    private mutating func markMissing(_ isMissing: Bool) {
        if isMissing && !hasMissing {
            hasMissing = true
            missing = [Bool](repeating: false, count: count)
        }
        if hasMissing { missing.append(isMissing) }
        count += 1
    }

    mutating func appendMissing() {
        switch type {
        case .double, .date: doubles.append(0)
        case .int: ints.append(0)
        case .bool: bools.append(false)
        case .string: strings.append("")
        }
        markMissing(true)
    }

    /// Appends the field `[start, end)`; `escaped` fields hold doubled quotes to undo.
    ///
    /// Missing markers apply to every field of a non-text column, but only to unquoted fields of a
    /// text column: `""` and `"NA"` are the texts "" and "NA", so written text reads back exactly.
    @inline(__always)
    mutating func append(
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
        markMissing(false)
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

    private mutating func promoteToDouble() {
        guard type == .int else { return }
        type = .double
        doubles = ints.map(Double.init)
        doubles.reserveCapacity(ints.capacity)
        ints = []
    }

    /// Appends another builder's values (a later segment of the same column).
    mutating func append(contentsOf other: ColumnBuilder) {
        var other = other
        if type == .int && other.type == .double { promoteToDouble() }
        if type == .double && other.type == .int { other.promoteToDouble() }
        if other.hasMissing || hasMissing {
            if !hasMissing {
                hasMissing = true
                missing = [Bool](repeating: false, count: count)
            }
            missing += other.hasMissing ? other.missing : [Bool](repeating: false, count: other.count)
        }
        count += other.count
        switch type {
        case .double, .date: doubles += other.doubles
        case .int: ints += other.ints
        case .bool: bools += other.bools
        case .string: strings.append(contentsOf: other.strings)
        }
    }

    /// The finished column; the builder is left empty.
    mutating func finish(name: String) -> Column {
        let mask = hasMissing ? missing : nil
        let values: ColumnValues
        switch type {
        case .double: values = .double(doubles)
        case .date: values = .date(doubles)
        case .int: values = .int(ints)
        case .bool: values = .bool(bools)
        case .string: values = .string(strings.finish())
        }
        self = ColumnBuilder(type: type)
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
