import Synchronization

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

    /// The markers of at most 16 bytes (the longest field the AVX-512 loop reads), each as its length and then
    /// its bytes, and a mask with bit n set when one is n bytes long. (With a marker that looks like a number,
    /// such as `-999`, which must win over the number, files are not read by the two-pass loops at all.)
    var packed: (bytes: [UInt8], lengths: UInt32) {
        var bytes: [UInt8] = emptyIsMissing ? [0] : []
        var lengths: UInt32 = emptyIsMissing ? 1 : 0
        for marker in markers where marker.count <= 16 {
            bytes.append(UInt8(marker.count))
            bytes += marker
            lengths |= 1 << UInt32(marker.count)
        }
        return (bytes, lengths)
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

    /// What failed, as errors and rejects files say it: `the value 'abc' in column 'b' is not a number`.
    /// The field `[start, end)` is shown (up to 40 characters) unless it is not UTF-8.
    func sentence(column: String, field start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> String {
        let limit = 40
        let bytes = UnsafeBufferPointer(start: start, count: end - start)
        guard self != .invalidUTF8, var text = String(validating: bytes, as: UTF8.self) else {
            return "the value in column '\(column)' \(expectation)"
        }
        if text.count > limit { text = String(text.prefix(limit)) + "…" }
        return "the value '\(text)' in column '\(column)' \(expectation)"
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

    /// Whether the column was read as integers (and may since have been widened to doubles).
    private let startedAsInt: Bool

    init(type: ColumnType, capacity: Int = 0) {
        self.type = type
        startedAsInt = type == .int
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
        startMissingMask()
        missing.append(true)
        count += 1
    }

    /// Starts the missing mask, every row so far present, when the first missing value comes.
    private func startMissingMask() {
        guard !hasMissing else { return }
        hasMissing = true
        missing.reserve(max(count * 2, 1024))
        missing.append(repeating: false, count: count)
    }

    /// Appends a double to a double column (the parser's fast path).
    @inline(__always)
    func appendDouble(_ value: Double) {
        doubles.append(value)
        markPresent()
    }

    /// Room for `extra` more values of the column's type (numbers, booleans, dates; `nil` for text); where
    /// the next one goes. The fused parser writes there and then calls ``commit(_:)`` with how many it wrote.
    @inline(__always)
    func slots(reserving extra: Int) -> UnsafeMutableRawPointer? {
        switch type {
        case .double, .date:
            doubles.reserve(doubles.count + extra)
            return UnsafeMutableRawPointer(doubles.base + doubles.count)
        case .int:
            ints.reserve(ints.count + extra)
            return UnsafeMutableRawPointer(ints.base + ints.count)
        case .bool:
            bools.reserve(bools.count + extra)
            return UnsafeMutableRawPointer(bools.base + bools.count)
        case .string:
            return nil
        }
    }

    /// Counts the `rows` values written through ``slots(reserving:)`` (or appended with ``appendText(_:)``)
    /// as appended.
    @inline(__always)
    func commit(_ rows: Int) {
        switch type {
        case .double, .date: doubles.commit(rows)
        case .int: ints.commit(rows)
        case .bool: bools.commit(rows)
        case .string: break
        }
        if hasMissing { missing.append(repeating: false, count: rows) }
        count += rows
    }

    /// Marks rows of the batch just committed (of `batch` rows, numbered from 0) as missing; their values
    /// were written as zeros.
    func markMissing(_ rows: [Int], inBatchOf batch: Int) {
        guard !rows.isEmpty else { return }
        startMissingMask()
        let first = count - batch
        for row in rows { missing.base[first + row] = true }
    }

    /// Appends a text value for the fused parser (counted by ``commit(_:)``); `false` when not UTF-8.
    @inline(__always)
    func appendText(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        strings.append(utf8: bytes)
    }

    /// Takes back the last ``appendText(_:)``.
    func dropLastText() {
        strings.truncate(to: strings.count - 1)
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
            // A column read as integers and widened to doubles still fails as an integer column, so the
            // error does not depend on which thread's stretch happened to widen first.
            guard let value = NumberParsing.double(s, e) else { throw startedAsInt ? .notAnInteger : .notANumber }
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
            let valid: Bool
            if escaped {
                var bytes: [UInt8] = []
                bytes.reserveCapacity(end - start)
                var p = start
                while p < end {
                    bytes.append(p.pointee)
                    p += (p.pointee == UInt8(ascii: "\"") && p + 1 < end && p[1] == UInt8(ascii: "\"")) ? 2 : 1
                }
                valid = bytes.withUnsafeBufferPointer { strings.append(utf8: $0) }
            } else {
                valid = strings.append(utf8: UnsafeBufferPointer(start: start, count: end - start))
            }
            guard valid else { throw .invalidUTF8 }
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

    /// `true`, `True`, `TRUE`, `false`, `False` or `FALSE`; `nil` for anything else.
    @inline(__always)
    static func bool(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Bool? {
        let length = end - start
        guard length == 4 || length == 5 else { return nil }
        let word: StaticString = length == 4 ? "true" : "false"
        // The letters in any case, then the case itself: all lower, all upper, or only the first upper.
        for index in 0..<length where start[index] | 0x20 != word.utf8Start[index] { return nil }
        let restUpper = start[1] & 0x20 == 0
        for index in 2..<length where (start[index] & 0x20 == 0) != restUpper { return nil }
        if restUpper && start[0] & 0x20 != 0 { return nil }
        return length == 4
    }

    func promoteToDouble() {
        guard type == .int else { return }
        type = .double
        var widened = RawBuffer<Double>(capacity: max(ints.count * 2, 16))
        for index in 0..<ints.count { widened.append(Double(ints[index])) }
        doubles = widened
        ints = RawBuffer(capacity: 0)
    }

    /// The values appended so far, for ``ColumnAccumulator`` to copy.
    var doubleValues: UnsafeBufferPointer<Double> { UnsafeBufferPointer(start: doubles.base, count: doubles.count) }
    var intValues: UnsafeBufferPointer<Int> { UnsafeBufferPointer(start: ints.base, count: ints.count) }
    var boolValues: UnsafeBufferPointer<Bool> { UnsafeBufferPointer(start: bools.base, count: bools.count) }
    var stringValues: StringBuilder { strings }
    /// The missing mask, when a value was missing.
    var missingMask: UnsafeBufferPointer<Bool>? { hasMissing ? UnsafeBufferPointer(start: missing.base, count: missing.count) : nil }

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
}

/// One column of a read, assembled from the blocks' builders in the arrays the finished column keeps.
///
/// The parsing threads write into their own builders, which are reused from block to block so their
/// memory stays mapped; each block's values are copied once into these arrays, which are reserved for the
/// whole read, and finishing moves the arrays into the column. Fresh memory costs a page fault per 4 KiB
/// touched, so writing the values a second time would cost as much as parsing them.
final class ColumnAccumulator {
    private(set) var type: ColumnType
    private var doubles: [Double] = []
    private var ints: [Int] = []
    private var bools: [Bool] = []
    private var strings = StringBuilder()
    private var missing: [Bool]?
    private(set) var count = 0
    /// The values a chunk is expected to hold, set by ``reserve(_:)``: an array that must grow grows to it.
    private var expected = 0
    /// Arrays of finished chunks given back by their reader's consumer, used before fresh memory.
    let recycled: RecycledArrays?

    init(type: ColumnType, recycled: RecycledArrays? = nil) {
        self.type = type
        self.recycled = recycled
    }

    /// Reserves room for `total` values.
    func reserve(_ total: Int) {
        expected = total
        switch type {
        case .double, .date: makeRoom(&doubles, for: total)
        case .int: makeRoom(&ints, for: total)
        case .bool: makeRoom(&bools, for: total)
        case .string: strings.reserve(total)
        }
    }

    /// Grows `values` to hold `total` (or the expected count, if more) in a recycled array when there is one.
    private func makeRoom<Element>(_ values: inout [Element], for total: Int) {
        guard values.capacity < total else { return }
        let capacity = Swift.max(total, expected)
        if var reused = recycled?.take(Element.self, capacity: capacity) {
            reused.append(contentsOf: values)
            values = reused
        } else {
            values.reserveCapacity(Swift.max(capacity, 2 * values.capacity))
        }
    }

    /// The memory reserved for numbers, booleans or dates (`nil` for text), for ``Prefaulter`` to map
    /// ahead of the appends. Only its address is used, never its contents; it holds while no append
    /// outgrows the reservation (and mapping memory that has since been freed is harmless).
    func reservedMemory() -> UnsafeMutableRawBufferPointer? {
        func region<Element>(_ values: inout [Element]) -> UnsafeMutableRawBufferPointer? {
            let capacity = values.capacity
            return values.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress.map { UnsafeMutableRawBufferPointer(start: $0, count: capacity * MemoryLayout<Element>.stride) }
            }
        }
        switch type {
        case .double, .date: return region(&doubles)
        case .int: return region(&ints)
        case .bool: return region(&bools)
        case .string: return nil
        }
    }

    /// Appends the values of a builder (the next stretch of rows of the same column).
    func append(contentsOf builder: ColumnBuilder) {
        if type == .int && builder.type == .double { promoteToDouble() }
        if type == .double && builder.type == .int { builder.promoteToDouble() }
        if let mask = builder.missingMask {
            if missing == nil { missing = [Bool](repeating: false, count: count) }
            missing!.append(contentsOf: mask)
        } else if missing != nil {
            missing!.append(contentsOf: repeatElement(false, count: builder.count))
        }
        switch type {
        case .double, .date:
            makeRoom(&doubles, for: count + builder.count)
            doubles.append(contentsOf: builder.doubleValues)
        case .int:
            makeRoom(&ints, for: count + builder.count)
            ints.append(contentsOf: builder.intValues)
        case .bool:
            makeRoom(&bools, for: count + builder.count)
            bools.append(contentsOf: builder.boolValues)
        case .string: strings.append(contentsOf: builder.stringValues)
        }
        count += builder.count
    }

    private func promoteToDouble() {
        type = .double
        doubles = ints.map(Double.init)
        ints = []
    }

    /// The column of the first `rows` values (all of them when `nil`); the rest stay for the next column.
    func finish(name: String, rows: Int? = nil) -> Column {
        let taken = min(rows ?? count, count)
        func split<Element>(_ values: inout [Element]) -> [Element] {
            guard taken < values.count else {
                defer { values = [] }
                return values
            }
            guard values.count - taken < taken else {
                let head = Array(values[..<taken])
                values.removeFirst(taken)
                return head
            }
            // Fewer rows stay than go (a chunk is usually many blocks' rows, and less than a block is left
            // over): the rows that go keep the buffer, uncopied, and the rest move to a recycled array when
            // there is one (fresh memory costs its page faults), else to a new one, which grows to a
            // chunk's size with the next block.
            var rest = recycled?.take(Element.self, capacity: Swift.max(expected, values.count - taken)) ?? []
            rest.append(contentsOf: values[taken...])
            values.removeLast(values.count - taken)
            defer { values = rest }
            return values
        }
        var mask: [Bool]?
        if missing != nil {
            mask = split(&missing!)
            if missing!.isEmpty { missing = nil }
        }
        let values: ColumnValues
        switch type {
        case .double: values = .double(split(&doubles))
        case .date: values = .date(split(&doubles))
        case .int: values = .int(split(&ints))
        case .bool: values = .bool(split(&bools))
        case .string:
            let (head, rest) = strings.split(at: taken)
            values = .string(head)
            strings = rest
        }
        count -= taken
        return Column(name, values: values, missing: mask)
    }
}

/// Arrays of numbers from chunks their consumer is done with (``CSVChunkReader/recycle(_:)``), handed to
/// the columns of later chunks.
///
/// Memory the process has freed comes back from the system as fresh pages, and each first write to a
/// fresh 4 KiB page is a fault: measured on a 1M-row scoring run, a quarter of its CPU time went to faults
/// on the chunks' columns. Reused arrays are mapped already. An array is taken only when nothing else
/// holds it any more (otherwise emptying it gives a new one, and the holder keeps its values).
final class RecycledArrays: Sendable {
    private let doubles = Mutex<[[Double]]>([])
    private let ints = Mutex<[[Int]]>([])
    private let bools = Mutex<[[Bool]]>([])
    /// Arrays kept of each type at most, so memory stays bounded by a few chunks.
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Keeps the arrays of `column`'s values and missing mask for later chunks.
    func give(_ column: consuming Column) {
        switch column.values {
        case .double(let values), .date(let values): keep(values, in: doubles)
        case .int(let values): keep(values, in: ints)
        case .bool(let values): keep(values, in: bools)
        case .string: break
        }
        if let mask = column.missing { keep(mask, in: bools) }
    }

    private func keep<Element: Sendable>(_ values: [Element], in shelf: borrowing Mutex<[[Element]]>) {
        guard values.capacity > 0 else { return }
        shelf.withLock { arrays in
            if arrays.count < limit { arrays.append(values) }
        }
    }

    /// An empty array of at least `capacity` elements, if one was given back.
    func take<Element>(_ type: Element.Type, capacity: Int) -> [Element]? {
        if Element.self == Double.self { return take(from: doubles, capacity: capacity).map { unsafeBitCast($0, to: [Element].self) } }
        if Element.self == Int.self { return take(from: ints, capacity: capacity).map { unsafeBitCast($0, to: [Element].self) } }
        if Element.self == Bool.self { return take(from: bools, capacity: capacity).map { unsafeBitCast($0, to: [Element].self) } }
        return nil
    }

    private func take<Element: Sendable>(from shelf: borrowing Mutex<[[Element]]>, capacity: Int) -> [Element]? {
        var taken = shelf.withLock { arrays -> [Element]? in
            guard let index = arrays.lastIndex(where: { $0.capacity >= capacity }) else { return nil }
            return arrays.remove(at: index)
        }
        // Keeps the buffer when the array is the only reference to it.
        taken?.removeAll(keepingCapacity: true)
        return taken
    }
}
