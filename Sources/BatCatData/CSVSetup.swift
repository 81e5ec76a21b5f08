import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif


/// Reads the header and a sample, and decides the columns and their types.
struct CSVSetup {
    var window: ByteWindow
    var linesBefore = 0
    var schema = Schema([])
    var fieldCount = 0
    var fieldIndexes: [Int] = []

    init(stream: some ByteStream, options: CSVOptions) throws(DataError) {
        window = ByteWindow(stream: stream, size: options.blockSize, maxRecordBytes: options.maxRowBytes)
        try window.refill()
        if window.filled >= 3 && window.buffer[0] == 0xEF && window.buffer[1] == 0xBB && window.buffer[2] == 0xBF {
            window.consumed = 3
        }
        let tokenizer = CSVTokenizer(delimiter: options.delimiter)
        let matcher = MissingMatcher(options.missingMarkers)
        let spans = FieldSpans()
        // Skip leading blank lines, then read the first record.
        var firstNext = 0
        var firstLineEnds = 0
        while true {
            if window.consumed >= window.filled && window.atEnd {
                if options.hasHeader {
                    throw DataError(
                        .emptyInput, "\(window.name) is empty: it has no header row", hints: ["check that the file was written completely"])
                }
                return
            }
            let outcome = window.buffer.withUnsafeBufferPointer {
                tokenizer.record($0.baseAddress!, from: window.consumed, to: window.filled, atEnd: window.atEnd, into: spans)
            }
            switch outcome {
            case .incomplete:
                window.recordLine = linesBefore + 1
                try window.refill()
                continue
            case .malformed(let offset, let reason):
                throw DataError(.malformedRow, "\(window.name):\(linesBefore + 1):\(offset - window.consumed + 1): \(reason)")
            case .record(let next, let lineEnds):
                if spans.count == 1 && spans.starts[0] == spans.ends[0] && !spans.quoted(0) {
                    window.consumed = next
                    linesBefore += lineEnds
                    continue
                }
                firstNext = next
                firstLineEnds = lineEnds
            }
            break
        }
        fieldCount = spans.count
        var names: [String]
        if options.hasHeader {
            names = []
            for index in 0..<spans.count {
                let bytes = Array(window.buffer[spans.starts[index]..<spans.ends[index]])
                guard var name = String(validating: bytes, as: UTF8.self) else {
                    throw DataError(
                        .invalidText, "\(window.name):\(linesBefore + 1): the header's field \(index + 1) is not valid UTF-8 text")
                }
                if spans.escaped(index) { name = name.split(separator: "\"\"", omittingEmptySubsequences: false).joined(separator: "\"") }
                name = String(name.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
                names.append(name.isEmpty ? "column_\(index + 1)" : name)
            }
            if !options.renameDuplicates {
                var seen = Set<String>()
                let repeated = names.filter { !seen.insert($0).inserted }
                if !repeated.isEmpty {
                    let listed = Array(Set(repeated)).sorted().map { "'\($0)'" }.joined(separator: ", ")
                    throw DataError(
                        .duplicateColumn, "\(window.name):\(linesBefore + 1): the header names \(listed) more than once",
                        hints: [
                            "rename the columns in the file, or read it with duplicates renamed (x, x.1, …): --rename-duplicates, or read: {renameDuplicates: true} in a spec"
                        ])
                }
            }
            window.consumed = firstNext
            linesBefore += firstLineEnds
        } else {
            names = (1...spans.count).map { $0 <= options.headerlessNames.count ? options.headerlessNames[$0 - 1] : "column_\($0)" }
        }
        names = CSVSetup.uniqued(names)
        if let wanted = options.columns {
            fieldIndexes = []
            for name in wanted {
                guard let index = names.firstIndex(of: name) else { throw DataError.unknownColumn(name, in: names, file: window.name) }
                fieldIndexes.append(index)
            }
        } else {
            fieldIndexes = Array(0..<fieldCount)
        }
        fieldIndexes.removeAll { options.leftOut.contains(names[$0]) }
        for name in options.types.keys.sorted() where !names.contains(name) {
            throw DataError.unknownColumn(name, in: names, file: window.name)
        }
        // The sample is the first `inferenceRows` whole records, whatever the block size: read more
        // (growing the buffer if need be) while it ends inside a record.
        var guesses: [TypeGuess]
        while true {
            let (sampled, needsMore) = sampleTypes(tokenizer: tokenizer, matcher: matcher, options: options)
            guesses = sampled
            if !needsMore || window.atEnd { break }
            window.recordLine = linesBefore + 1
            try window.refill()
        }
        schema = Schema(
            fieldIndexes.map { index in
                Field(names[index], options.types[names[index]] ?? guesses[index].type(parseDates: options.parseDates))
            })
    }

    /// Renames repeated names `x`, `x.1`, `x.2`, … so every column can be addressed.
    static func uniqued(_ names: [String]) -> [String] {
        var seen: [String: Int] = [:]
        var taken = Set(names)
        return names.map { name in
            guard let count = seen[name] else {
                seen[name] = 0
                return name
            }
            var next = count + 1
            while taken.contains("\(name).\(next)") { next += 1 }
            seen[name] = next
            taken.insert("\(name).\(next)")
            return "\(name).\(next)"
        }
    }

    /// Type guesses from the records in the buffer, and whether the buffer ended inside one before the
    /// sample was complete.
    private func sampleTypes(tokenizer: CSVTokenizer, matcher: MissingMatcher, options: CSVOptions) -> ([TypeGuess], Bool) {
        var guesses = [TypeGuess](repeating: TypeGuess(), count: fieldCount)
        let spans = FieldSpans()
        var position = window.consumed
        var rows = 0
        var needsMore = false
        window.buffer.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            while rows < options.inferenceRows && position < window.filled {
                let outcome = tokenizer.record(base, from: position, to: window.filled, atEnd: window.atEnd, into: spans)
                if case .incomplete = outcome {
                    needsMore = true
                    break
                }
                guard case .record(let next, _) = outcome else { break }
                position = next
                guard spans.count == fieldCount else { continue }
                for index in fieldIndexes {
                    let start = base + spans.starts[index]
                    let end = base + spans.ends[index]
                    if matcher.matches(start, end) {
                        if spans.quoted(index) { guesses[index].sawQuotedMarker = true }
                        continue
                    }
                    guesses[index].observe(start, end)
                }
                rows += 1
            }
        }
        // Running out of bytes before the sample is complete also needs more, unless the stream has ended.
        if rows < options.inferenceRows && position >= window.filled && !window.atEnd { needsMore = true }
        return (guesses, needsMore)
    }
}

/// What the sampled values of one column could all be read as.
struct TypeGuess {
    var sawValue = false
    /// A quoted field spelled like a missing marker: missing in a number column, text in a text column.
    var sawQuotedMarker = false
    var canBool = true
    var canInt = true
    var canDouble = true
    var canDate = true

    mutating func observe(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) {
        sawValue = true
        var s = start
        var e = end
        while s < e && (s.pointee == 0x20 || s.pointee == 0x09) { s += 1 }
        while e > s && (e[-1] == 0x20 || e[-1] == 0x09) { e -= 1 }
        if canBool && ColumnBuilder.bool(s, e) == nil { canBool = false }
        if canInt && NumberParsing.int(s, e) == nil { canInt = false }
        if canDouble && !canInt && NumberParsing.double(s, e) == nil { canDouble = false }
        if canDate && ISODate.parse(s, e) == nil { canDate = false }
    }

    func type(parseDates: Bool) -> ColumnType {
        guard sawValue else { return sawQuotedMarker ? .string : .double }
        if canBool { return .bool }
        if canInt { return .int }
        if canDouble { return .double }
        if parseDates && canDate { return .date }
        return .string
    }
}
