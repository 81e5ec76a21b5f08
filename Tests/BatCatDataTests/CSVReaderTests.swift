import BatCatData
import Testing

private func read(_ text: String, _ configure: (inout CSVOptions) -> Void = { _ in }) throws -> DataFrame {
    var options = CSVOptions()
    configure(&options)
    return try CSVReader(options: options).read(text: text, name: "t.csv")
}

private func cells(_ frame: DataFrame, _ name: String) -> [Cell] {
    guard let column = frame[name] else { return [] }
    return (0..<column.count).map { column.cell($0) }
}

@Suite("CSV reading")
struct CSVReaderTests {
    @Test("Types are inferred from the values: int, double, bool, string; all-missing is double")
    func inference() throws {
        let frame = try read("i,d,b,s,m\n1,1.5,true,x,\n2,2,false,y,NA\n")
        #expect(frame.schema.fields.map(\.type) == [.int, .double, .bool, .string, .double])
        #expect(cells(frame, "i") == [.int(1), .int(2)])
        #expect(cells(frame, "d") == [.double(1.5), .double(2)])
        #expect(cells(frame, "b") == [.bool(true), .bool(false)])
        #expect(cells(frame, "s") == [.string("x"), .string("y")])
        #expect(cells(frame, "m") == [.missing, .missing])
    }

    @Test("Quoted fields may hold delimiters, doubled quotes and line breaks")
    func quoting() throws {
        let frame = try read("name,note\n\"Smith, J\",\"said \"\"hi\"\"\"\n\"multi\nline\",\"\"\n")
        #expect(cells(frame, "name") == [.string("Smith, J"), .string("multi\nline")])
        #expect(cells(frame, "note") == [.string("said \"hi\""), .string("")])
    }

    @Test("A byte-order mark, CRLF and lone CR line endings are all read")
    func lineEndings() throws {
        let frame = try read("\u{FEFF}a,b\r\n1,2\r3,4\n5,6")
        #expect(frame.columnNames == ["a", "b"])
        #expect(cells(frame, "a") == [.int(1), .int(3), .int(5)])
        #expect(cells(frame, "b") == [.int(2), .int(4), .int(6)])
    }

    @Test("The default missing markers are the empty field, NA, NaN, null and ?")
    func missingMarkers() throws {
        let frame = try read("x\n1\n\nNA\nNaN\nnull\n?\n2\n")
        // The empty line is a blank line, not a row.
        #expect(cells(frame, "x") == [.int(1), .missing, .missing, .missing, .missing, .int(2)])
    }

    @Test("Missing markers are configurable")
    func customMarkers() throws {
        let frame = try read("x\n1\n-999\n") { $0.missingMarkers = ["-999"] }
        #expect(cells(frame, "x") == [.int(1), .missing])
    }

    @Test("Quoted text is never a missing marker, so written text reads back exactly")
    func quotedTextIsNotMissing() throws {
        let frame = try read("s,n\n\"NA\",\"\"\n\"\",1\nNA,2\n")
        #expect(cells(frame, "s") == [.string("NA"), .string(""), .missing])
        #expect(cells(frame, "n") == [.missing, .int(1), .int(2)])
    }

    @Test("Another delimiter and no header")
    func delimiterNoHeader() throws {
        let frame = try read("1;a\n2;b\n") {
            $0.hasHeader = false
            try? $0.setDelimiter(";")
        }
        #expect(frame.columnNames == ["column_1", "column_2"])
        #expect(cells(frame, "column_2") == [.string("a"), .string("b")])
    }

    @Test("An explicit type overrides inference")
    func explicitType() throws {
        let frame = try read("zip,n\n01234,1\n") { $0.types = ["zip": .string, "n": .double] }
        #expect(cells(frame, "zip") == [.string("01234")])
        #expect(cells(frame, "n") == [.double(1)])
    }

    @Test("Only the chosen columns are read, in the order chosen")
    func chosenColumns() throws {
        let frame = try read("a,b,c\n1,2,3\n") { $0.columns = ["c", "a"] }
        #expect(frame.columnNames == ["c", "a"])
        #expect(cells(frame, "c") == [.int(3)])
    }

    @Test("Columns left out are not parsed (a bad value in them is no error) but still count as fields")
    func leftOutColumns() throws {
        let frame = try read("a,b,c\n1,x,3\n2,2,4\n") { $0.leftOut = ["b", "not-there"] }
        #expect(frame.columnNames == ["a", "c"])
        #expect(cells(frame, "c") == [.int(3), .int(4)])
        let short = #expect(throws: DataError.self) { try read("a,b,c\n1,2,3\n4,5\n") { $0.leftOut = ["c"] } }
        #expect(short?.code == .fieldCount)
    }

    @Test("An unknown chosen or typed column names the file and the columns there are")
    func unknownColumn() {
        let error = #expect(throws: DataError.self) { try read("age,bmi\n1,2\n") { $0.columns = ["BMI"] } }
        #expect(error?.code == .unknownColumn)
        #expect(error?.message == "t.csv has no column named 'BMI'")
        #expect(error?.hints == ["did you mean 'bmi'?", "the columns are: age, bmi"])
        let typed = #expect(throws: DataError.self) { try read("age,bmi\n1,2\n") { $0.types = ["height": .double] } }
        #expect(typed?.message == "t.csv has no column named 'height'")
    }

    @Test("Repeated header names are refused, naming them, unless renaming is asked for; empty ones are named by position")
    func headerNames() throws {
        let error = #expect(throws: DataError.self) { try read("x,x,,x,y,y\n1,2,3,4,5,6\n") }
        #expect(error?.code == .duplicateColumn)
        #expect(error?.message == "t.csv:1: the header names 'x', 'y' more than once")
        let frame = try read("x,x,,x\n1,2,3,4\n") { $0.renameDuplicates = true }
        #expect(frame.columnNames == ["x", "x.1", "column_3", "x.2"])
        #expect(try read("a,,\n1,2,3\n").columnNames == ["a", "column_2", "column_3"])
    }

    @Test("A row longer than the limit is refused as soon as it is seen, naming its line; shorter long rows read")
    func rowLimit() throws {
        let huge = String(repeating: "x", count: 50 << 20)
        let start = ContinuousClock.now
        let error = #expect(throws: DataError.self) {
            try read("a,b\n1,2\n\(huge),3\n") { $0.maxRowBytes = 1 << 20; $0.blockSize = 1 << 18 }
        }
        #expect(ContinuousClock.now - start < .seconds(20))
        #expect(error?.message.hasPrefix("t.csv: the row starting on line 2 or after it is longer") == true, "\(String(describing: error))")
        #expect(error?.message.contains("longer than 1 MiB") == true)
        let header = #expect(throws: DataError.self) { try read(huge) { $0.maxRowBytes = 1 << 20; $0.blockSize = 1 << 18 } }
        #expect(header?.message.hasPrefix("t.csv: the row starting on line 1 is longer than 1 MiB") == true, "\(String(describing: header))")
        let long = String(repeating: "y", count: 700_000)
        let frame = try read("a,b\n\(long),1\n") { $0.maxRowBytes = 1 << 20; $0.blockSize = 1 << 16 }
        #expect(frame.rowCount == 1 && frame["a"]?.cell(0) == .string(long))
    }

    @Test("An integer column that meets a decimal after the sample widens to double")
    func widening() throws {
        let frame = try read("n\n1\n2\n2.5\n") { $0.inferenceRows = 1 }
        #expect(cells(frame, "n") == [.double(1), .double(2), .double(2.5)])
    }

    @Test("ISO-8601 dates are parsed when asked")
    func dates() throws {
        let frame = try read("when\n2026-11-21\n2026-11-21T10:00:00Z\n2026-11-21 11:00:00+01:00\n") { $0.parseDates = true }
        #expect(frame.schema.fields[0].type == .date)
        let day = 1_795_219_200.0
        #expect(cells(frame, "when") == [.date(day), .date(day + 36_000), .date(day + 36_000)])
    }

    @Test("A header-only file gives a frame with columns and no rows")
    func headerOnly() throws {
        let frame = try read("a,b\n")
        #expect(frame.columnNames == ["a", "b"])
        #expect(frame.rowCount == 0)
    }

    @Test("An empty file is an error")
    func emptyFile() {
        let error = #expect(throws: DataError.self) { try read("") }
        #expect(error?.code == .emptyInput)
        #expect(error?.message == "t.csv is empty: it has no header row")
    }

    @Test("A row with the wrong number of fields is an error naming the line")
    func wrongFieldCount() {
        let error = #expect(throws: DataError.self) { try read("a,b\n1,2\n3\n4,5\n") }
        #expect(error?.code == .fieldCount)
        #expect(error?.message == "t.csv:3: expected 2 fields, found 1")
    }

    @Test("With skip, rows of the wrong length are left out and counted")
    func skipBadLines() throws {
        var options = CSVOptions()
        options.onBadLines = .skip
        let (frame, report) = try CSVReader(options: options).readWithReport(stream: MemoryByteStream(text: "a,b\n1,2\n3\n4,5,6\n7,8\n"))
        #expect(cells(frame, "a") == [.int(1), .int(7)])
        #expect(report.skippedRows == 2)
        #expect(report.skippedLines == [3, 4])
        #expect(report.rows == 2)
    }

    @Test("A value of the wrong type names the file, line, column, the value and the column name")
    func typeMismatch() {
        let error = #expect(throws: DataError.self) { try read("a,b\n1,2\n3,x4\n") { $0.types = ["b": .double] } }
        #expect(error?.code == .typeMismatch)
        #expect(error?.message == "t.csv:3:3: the value 'x4' in column 'b' is not a number, but the column was read as double")
        // The type was given, so the hint does not speak of inference.
        #expect(error?.hints.first == "the column's type was given as double: give it another type (for example string), or fix the value")
        // An inferred type: the hint says how to declare one. A long value is cut at 40 characters.
        let long = String(repeating: "abcde", count: 10)
        let inferred = #expect(throws: DataError.self) { try read("a,b\n1,2\n3,\(long)\n") { $0.inferenceRows = 1 } }
        #expect(
            inferred?.message
                == "t.csv:3:3: the value '\(long.prefix(40))…' in column 'b' is not an integer, but the column was read as int")
        #expect(inferred?.hints.first?.hasPrefix("declare the column's type (for example string) instead of inferring it") == true)
    }

    @Test("A line count stays right across quoted line breaks")
    func lineNumbersAfterQuotedBreaks() {
        let error = #expect(throws: DataError.self) { try read("a,b\n\"x\ny\",1\nz,w\n") { $0.types = ["b": .int] } }
        #expect(error?.message == "t.csv:4:3: the value 'w' in column 'b' is not an integer, but the column was read as int")
    }

    @Test("An unterminated quote names where the field opens")
    func unterminatedQuote() {
        let error = #expect(throws: DataError.self) { try read("a,b\n1,\"open\n2,3\n") }
        #expect(error?.code == .malformedRow)
        #expect(error?.message == "t.csv:2:3: a quoted field is never closed")
    }

    @Test("Text after a closing quote is an error")
    func textAfterQuote() {
        let error = #expect(throws: DataError.self) { try read("a,b\n\"x\"y,1\n") }
        #expect(error?.code == .malformedRow)
        #expect(error?.message == "t.csv:2:4: unexpected character after a closing quote (expected a delimiter or the end of the line)")
    }

    @Test("Invalid UTF-8 in a text column is an error, not a crash")
    func invalidUTF8() throws {
        var bytes = Array("name\nok\n".utf8)
        bytes += [0xC3, 0x28, 0x0A]
        let error = #expect(throws: DataError.self) { try CSVReader().read(stream: MemoryByteStream(bytes, name: "bad.csv")) }
        #expect(error?.code == .invalidText)
        #expect(error?.message == "bad.csv:3:1: the value in column 'name' is not valid UTF-8 text")
    }

    @Test(
        "Chunks have exactly N rows (the last fewer) and together equal a whole read, missing values included",
        arguments: [1, 7, 100, 1000])
    func chunks(rows: Int) throws {
        var text = "id,x,s,m\n"
        for i in 0..<523 { text += "\(i),\(Double(i) / 8),\"s,\(i % 5)\",\(i % 4 == 0 ? "" : String(i))\n" }
        var options = CSVOptions()
        options.blockSize = 256
        let whole = try CSVReader().read(text: text)
        let reader = try CSVReader(options: options).chunks(stream: MemoryByteStream(text: text), rows: rows)
        var parts: [DataFrame] = []
        try reader.forEach { parts.append($0) }
        #expect(parts.dropLast().allSatisfy { $0.rowCount == rows })
        #expect(parts.last!.rowCount == (523 % rows == 0 ? rows : 523 % rows))
        #expect(try DataFrame.concatenating(parts) == whole)
    }

    @Test("Chunks given back are read into again without changing one still held, or the values read")
    func recycledChunks() throws {
        var text = "id,x,m\n"
        for i in 0..<5_000 { text += "\(i),\(Double(i) / 8),\(i % 3 == 0 ? "" : String(i))\n" }
        var options = CSVOptions()
        options.blockSize = 512
        let whole = try CSVReader().read(text: text)
        let reader = try CSVReader(options: options).chunks(stream: MemoryByteStream(text: text), rows: 1_000)
        var held: [DataFrame] = []
        var copies: [[Double]] = []
        var parts: [DataFrame] = []
        while let chunk = try reader.next() {
            let values = try #require(chunk["x"]?.doubles)
            // Copied element by element: `Array(values)` would share the buffer.
            copies.append(values.map { $0 })
            parts.append(try DataFrame(columns: chunk.columns.map { column in
                switch column.values {
                case .double(let values): Column(column.name, values: .double(values.map { $0 }), missing: column.missing.map { $0.map { $0 } })
                case .int(let values): Column(column.name, values: .int(values.map { $0 }), missing: column.missing.map { $0.map { $0 } })
                default: column
                }
            }))
            // Every other chunk is kept while the reader goes on; the rest are only given back.
            if copies.count % 2 == 0 { held.append(chunk) }
            reader.recycle(chunk)
        }
        #expect(try DataFrame.concatenating(parts) == whole)
        for (index, chunk) in held.enumerated() { #expect(chunk["x"]?.doubles == copies[2 * index + 1]) }
    }

    @Test("A record longer than the block grows the buffer")
    func longRecord() throws {
        let field = String(repeating: "x", count: 1 << 20)
        var options = CSVOptions()
        options.blockSize = 1024
        let frame = try CSVReader(options: options).read(text: "a,b\n\(field),1\n\"\(field)\",2\n")
        #expect(cells(frame, "a") == [.string(field), .string(field)])
        #expect(cells(frame, "b") == [.int(1), .int(2)])
    }

    @Test("A parallel parse gives the same frame as one thread, line numbers included")
    func parallelEqualsSequential() throws {
        var text = "id,x,y,label\n"
        for i in 0..<60_000 { text += "\(i),\(Double(i) * 0.37),\(i % 11 == 0 ? "" : String(-i)),c\(i % 3)\n" }
        let one = CSVOptions(threads: 1)
        let four = CSVOptions(threads: 4, blockSize: 1 << 20)
        let sequential = try CSVReader(options: one).read(text: text)
        let parallel = try CSVReader(options: four).read(text: text)
        #expect(sequential == parallel)
        #expect(parallel.rowCount == 60_000)
        let broken = text + "1,2,3\n"
        let error = #expect(throws: DataError.self) { try CSVReader(options: four).read(text: broken, name: "big.csv") }
        #expect(error?.message == "big.csv:60002: expected 4 fields, found 3")
    }

    @Test("Blocks read ahead while the previous one is parsed: chunks, errors mid-file and failing streams stay exact")
    func readAhead() throws {
        var text = "a,b,c\n"
        for i in 0..<120_000 { text += "\(Double(i) / 8),-\(i).125,\(i % 7 == 0 ? "" : "\(i)")\n" }
        var options = CSVOptions()
        options.threads = 2
        options.blockSize = 1 << 20
        let whole = try CSVReader(options: options).read(text: text)
        #expect(whole.rowCount == 120_000)
        #expect(whole["b"]?.doubles?[99_999] == -99_999.125)
        var rows = 0
        var firstValues: [Double] = []
        try CSVReader(options: options).chunks(stream: MemoryByteStream(text: text), rows: 7_000).forEach { chunk in
            #expect(chunk.rowCount == min(7_000, 120_000 - rows))
            firstValues.append(chunk["a"]!.doubles![0])
            rows += chunk.rowCount
        }
        #expect(rows == 120_000)
        #expect(firstValues == stride(from: 0, to: 120_000, by: 7_000).map { Double($0) / 8 })
        // A bad value in the middle of the file, far from the first block.
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        lines[80_001] = "1,2,x"
        let broken = lines.joined(separator: "\n")
        let error = #expect(throws: DataError.self) { try CSVReader(options: options).read(text: broken, name: "mid.csv") }
        #expect(error?.message.hasPrefix("mid.csv:80002:5: the value 'x' in column 'c' is not an integer") == true)
        // A stream that fails after 2.5 MB: the failure is reported, not lost in the read-ahead.
        let failing = FailingStream(bytes: Array(text.utf8), failAfter: 5 << 19)
        let failure = #expect(throws: DataError.self) { try CSVReader(options: options).read(stream: failing) }
        #expect(failure?.message == "the disk went away")
    }
}

/// Serves bytes, then fails.
private struct FailingStream: ByteStream {
    let name = "failing"
    let bytes: [UInt8]
    let failAfter: Int
    var offset = 0

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(DataError) -> Int {
        guard offset < failAfter else { throw DataError(.io, "the disk went away") }
        let count = min(buffer.count, failAfter - offset, 65_536)
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: count) }
        offset += count
        return count
    }
}

@Suite("CSV reading of records with every type")
struct TypedRecordTests {
    @Test("Integers, text, booleans and dates read right beside quotes, missing values and widening")
    func everyType() throws {
        let text = """
            id,name,flag,when,score
            1,alpha,true,2024-01-02,0.5
            2,beta,False,2024-01-03,1
            3,"quoted, name",TRUE,2024-01-04,-2.25
            4,,false,,3
            -999,alpha,true,2024-01-05,4
            5,beta,true,2024-01-06,5
            6.5,gamma,false,2024-01-07,6

            """
        var options = CSVOptions()
        options.parseDates = true
        options.missingMarkers += ["-999"]
        options.types = ["id": .int]
        let frame = try CSVReader(options: options).read(text: text)
        #expect(frame.rowCount == 7)
        #expect(frame["id"]?.type == .double)
        #expect(
            (0..<7).map { frame["id"]!.cell($0) } == [.double(1), .double(2), .double(3), .double(4), .missing, .double(5), .double(6.5)])
        #expect(
            (0..<7).map { frame["name"]!.cell($0) } == [
                .string("alpha"), .string("beta"), .string("quoted, name"), .missing, .string("alpha"), .string("beta"), .string("gamma"),
            ])
        #expect(frame["flag"]?.type == .bool)
        #expect((0..<7).map { frame["flag"]!.cell($0) } == [true, false, true, false, true, true, false].map { Cell.bool($0) })
        #expect(frame["when"]?.type == .date)
        #expect(frame["when"]?.isMissing(3) == true)
        #expect(frame["when"].map { ISODate.format($0.doubles![0]) }?.hasPrefix("2024-01-02") == true)
        // A midnight instant is a date alone, unless the time of day is asked for.
        #expect(ISODate.format(1_704_153_600) == "2024-01-02")
        #expect(ISODate.format(1_704_153_600, time: true) == "2024-01-02T00:00:00Z")
        #expect(ISODate.format(1_704_153_601.5, time: true) == "2024-01-02T00:00:01.500Z")
        #expect(frame["score"]?.doubles == [0.5, 1, -2.25, 3, 4, 5, 6])
    }

    @Test("CR LF line ends read as LF ones do, for numbers and text alike")
    func crlf() throws {
        var lines = ["id,name,x,flag"]
        for i in 0..<3_000 { lines.append("\(i),n\(i % 7),\(Double(i) / 4),\(i % 2 == 0)") }
        let lf = lines.joined(separator: "\n") + "\n"
        let crlf = lines.joined(separator: "\r\n") + "\r\n"
        let expected = try CSVReader().read(text: lf)
        #expect(try CSVReader().read(text: crlf) == expected)
        // "\r\n" is one Character: dropping one drops the last line end.
        #expect(try CSVReader().read(text: String(crlf.dropLast())) == expected)
        let numbers = lines.map { $0.split(separator: ",")[2] }.joined(separator: "\r\n")
        #expect(try CSVReader().read(text: numbers)["x"]?.doubles == expected["x"]?.doubles)
        var typed = CSVOptions()
        typed.types = ["b": .double]
        let error = #expect(throws: DataError.self) { try CSVReader(options: typed).read(text: "a,b\r\n1,2\r\n3,x\r\n", name: "c.csv") }
        #expect(error?.message.hasPrefix("c.csv:3:3: the value 'x' in column 'b'") == true)
    }

    @Test("Blocks with quotes parse in parallel: quoted commas, line breaks, doubled quotes and stray quotes agree with one thread")
    func quotedBlocksInParallel() throws {
        var text = "id,note,x\n"
        for i in 0..<40_000 {
            let note: String
            switch i % 5 {
            case 0: note = "\"plain \(i)\""
            case 1: note = "\"with, comma\""
            case 2: note = "\"two\nlines\""
            case 3: note = "\"say \"\"hi\"\"\""
            default: note = "5'11\" tall"  // a stray quote inside an unquoted field is a letter
            }
            text += "\(i),\(note),\(Double(i) / 2)\n"
        }
        let one = try CSVReader(options: .init(threads: 1)).read(text: text)
        let two = try CSVReader(options: .init(threads: 2, blockSize: 1 << 20)).read(text: text)
        #expect(one == two)
        #expect(two.rowCount == 40_000)
        #expect(
            two["note"].map { [$0.cell(2), $0.cell(3), $0.cell(4)] } == [
                .string("two\nlines"), .string("say \"hi\""), .string("5'11\" tall"),
            ])
        let broken = text + "40000,\"never closed,1\n"
        let sequential = #expect(throws: DataError.self) { try CSVReader(options: .init(threads: 1)).read(text: broken, name: "q.csv") }
        let parallel = #expect(throws: DataError.self) {
            try CSVReader(options: .init(threads: 2, blockSize: 1 << 20)).read(text: broken, name: "q.csv")
        }
        #expect(sequential?.message == parallel?.message)
        #expect(parallel?.message.hasPrefix("q.csv:48002:7: a quoted field is never closed") == true)
    }

    @Test("Quoted line breaks that first appear blocks into a file, in a block read ahead, still split the block right")
    func quotesFirstSeenInReadAhead() throws {
        var text = "id,note,x\n"
        for i in 0..<160_000 {
            // Quote-free for the first blocks (of 1 MB, the least a parallel parse splits); then notes with
            // quoted line breaks that look like records.
            let note = i < 120_000 ? "n\(i)" : (i % 3 == 0 ? "\"a\n\(i),b,\(i)\n\"" : "m\(i)")
            text += "\(i),\(note),\(Double(i) / 4)\n"
        }
        let one = try CSVReader(options: .init(threads: 1)).read(text: text)
        let two = try CSVReader(options: .init(threads: 2, blockSize: 1 << 20)).read(text: text)
        #expect(two.rowCount == 160_000)
        #expect(one == two)
        #expect(two["note"]?.cell(120_000) == .string("a\n120000,b,120000\n"))
    }

    @Test("An integer column widened to doubles in one thread's stretch reports a bad value the same way in another's")
    func widenedColumnErrors() {
        var text = "i\n1\n2.5\n"
        for i in 0..<160_000 { text += "\(i)\n" }
        text += "x\n"
        var options = CSVOptions(threads: 1)
        options.types = ["i": .int]
        let one = #expect(throws: DataError.self) { try CSVReader(options: options).read(text: text, name: "w.csv") }
        options.threads = 2
        let two = #expect(throws: DataError.self) { try CSVReader(options: options).read(text: text, name: "w.csv") }
        #expect(one?.message == "w.csv:160004:1: the value 'x' in column 'i' is not an integer, but the column was read as int")
        #expect(two?.message == one?.message)
    }

    @Test("A bad boolean or invalid UTF-8 in the middle of a record is located exactly")
    func badFieldsLocated() {
        var options = CSVOptions()
        options.types = ["a": .int, "b": .bool, "c": .string]
        let boolean = #expect(throws: DataError.self) {
            try CSVReader(options: options).read(text: "a,b,c\n1,true,x\n2,tRUE,y\n", name: "b.csv")
        }
        #expect(boolean?.message == "b.csv:3:3: the value 'tRUE' in column 'b' is not true or false, but the column was read as bool")
        var bytes = Array("a,b,c\n1,true,x\n2,false,".utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array("\n3,true,z\n".utf8)
        let utf8 = #expect(throws: DataError.self) {
            try CSVReader(options: options).read(stream: MemoryByteStream(bytes, name: "u.csv"))
        }
        #expect(utf8?.message == "u.csv:3:9: the value in column 'c' is not valid UTF-8 text")
    }

    @Test("Text columns keep their values and order whatever the number of threads and blocks")
    func textAcrossBlocks() throws {
        var text = "k,v\n"
        for i in 0..<50_000 { text += "key\(i % 97),\(i)\n" }
        let a = try CSVReader(options: .init(threads: 1, blockSize: 1 << 16)).read(text: text)
        let b = try CSVReader(options: .init(threads: 2, blockSize: 1 << 20)).read(text: text)
        #expect(a == b)
        #expect(a["k"].map { $0.cell(49_999) } == .string("key\(49_999 % 97)"))
        #expect(try a.describe(["k"]).columns[0].unique == 97)
    }
}

@Suite("CSV reading of all-number files")
struct NumericCSVTests {
    @Test("Plain, quoted, missing, exponent and CRLF fields all read right when every column is a number")
    func mixedNumericRecords() throws {
        let text = "a,b,c\n1.5,2,3\n\"4\",5e2,6\r\n7,,NA\n-0.25,1E-3,+8\n9,10,11"
        var options = CSVOptions()
        options.types = ["a": .double, "b": .double, "c": .double]
        let frame = try CSVReader(options: options).read(text: text)
        #expect(frame["a"]?.doubles == [1.5, 4, 7, -0.25, 9])
        #expect(
            frame["b"].map { c in (0..<c.count).map { c.cell($0) } } == [.double(2), .double(500), .missing, .double(0.001), .double(10)])
        #expect(frame["c"].map { c in (0..<c.count).map { c.cell($0) } } == [.double(3), .double(6), .missing, .double(8), .double(11)])
    }

    @Test("A bad number in an all-number file is still located exactly")
    func badNumberLocated() {
        var options = CSVOptions()
        options.types = ["a": .double, "b": .double]
        let error = #expect(throws: DataError.self) { try CSVReader(options: options).read(text: "a,b\n1,2\n3,4x\n", name: "n.csv") }
        #expect(error?.message == "n.csv:3:3: the value '4x' in column 'b' is not a number, but the column was read as double")
    }

    @Test("Number parsing agrees with the standard library on many spellings")
    func numberParsing() {
        var generator = SplitMix(seed: 99)
        var spellings = [
            "0", "-0", "1e308", "1e309", "4.9e-324", "123456789012345678901234567890", "0.1", ".5", "5.", "1e", "1e+", "--1", "1.2.3",
            "+.e1", "inf", "-inf", "nan", "0x10", " 1", "12345678", "123456789", "1234567890123456789", "12345678901234567890",
            "0.00000000000000000001234", "99999999999999999999", "9007199254740993", "0.12345678", "-12345678.87654321", "00000000000001.5",
        ]
        for _ in 0..<3000 {
            let mantissa = Double(generator.next() % 10_000_000_000) / Double(1 << (generator.next() % 40))
            let exponent = Int(generator.next() % 60) - 30
            spellings.append("\(mantissa)e\(exponent)")
            spellings.append(String(Double(bitPattern: generator.next())))
            spellings.append(String(format6(Double(generator.next() % 100_000_000) / 1_000_000 - 50)))
        }
        for text in spellings {
            var copy = text
            let ours = copy.withUTF8 { NumberParsing.double($0.baseAddress!, $0.baseAddress! + $0.count) }
            let reference = text.first == " " ? nil : Double(text)
            if let reference, reference.isNaN {
                #expect(ours?.isNaN == true, "\(text)")
            } else if text.lowercased().hasPrefix("0x") {
                #expect(ours == nil, "\(text)")
            } else {
                #expect(
                    ours?.bitPattern == reference?.bitPattern, "\(text): \(String(describing: ours)) vs \(String(describing: reference))")
            }
            // Inside a record, as the CSV reader scans it: the number stops at the delimiter.
            guard let ours, !ours.isNaN, !ours.isInfinite else { continue }
            var record = text + ",98765432,1"
            record.withUTF8 { bytes in
                let scanned = NumberParsing.scanDouble(bytes.baseAddress!, bytes.baseAddress! + bytes.count)
                #expect(scanned?.0.bitPattern == ours.bitPattern, "\(text) in a record")
                #expect(scanned.map { $0.1 - bytes.baseAddress! } == text.utf8.count, "\(text) in a record")
            }
        }
    }

    @Test(
        "Files of numbers read the same through every path: plain decimals of every shape beside exponents, long numbers, missing values, quotes and CR LF"
    )
    func plainDecimalShapes() throws {
        var generator = SplitMix(seed: 2024)
        func spelling() -> String {
            let sign = ["", "", "-", "+"][Int(generator.next() % 4)]
            switch generator.next() % 20 {
            case 0: return ""
            case 1: return "NA"
            case 2: return "\(generator.digits(1)).\(generator.digits(3))e\(Int(generator.next() % 40) - 20)"
            case 3: return sign + generator.digits(10) + "." + generator.digits(9)  // 19 digits: past the two-pass path
            case 4: return sign + "9007199254740993"  // above 2^53
            case 5: return sign + "." + generator.digits(Int(generator.next() % 6) + 1)
            case 6: return sign + generator.digits(Int(generator.next() % 4) + 1) + "."
            case 7: return sign + "0" + generator.digits(15)
            default:
                let whole = Int(generator.next() % 8) + 1
                let fraction = Int(generator.next() % UInt64(17 - whole))
                return sign + generator.digits(whole) + (fraction > 0 ? "." + generator.digits(fraction) : "")
            }
        }
        var text = "a,b,c,d\n"
        var expected: [[Double?]] = [[], [], [], []]
        for row in 0..<12_000 {
            var fields: [String] = []
            for column in 0..<4 {
                var field = spelling()
                // Now and then a quoted number, and a stretch of CR LF lines.
                if row % 997 == 5 && column == 2 && !field.isEmpty && field != "NA" { field = "\"\(field)\"" }
                fields.append(field)
                let bare = field.filter { $0 != "\"" }
                expected[column].append(bare.isEmpty || bare == "NA" ? nil : Double(bare)!)
            }
            text += fields.joined(separator: ",") + (row >= 7_000 && row < 7_300 ? "\r\n" : "\n")
        }
        var options = CSVOptions(threads: 2, blockSize: 1 << 16)
        options.types = ["a": .double, "b": .double, "c": .double, "d": .double]
        for threads in [1, 2] {
            options.threads = threads
            let frame = try CSVReader(options: options).read(text: text)
            #expect(frame.rowCount == 12_000)
            for (index, name) in ["a", "b", "c", "d"].enumerated() {
                let column = try #require(frame[name])
                let mismatches = (0..<column.count).filter { row in
                    guard case .double(let value) = column.cell(row) else { return expected[index][row] != nil }
                    return value.bitPattern != expected[index][row]?.bitPattern
                }
                #expect(
                    mismatches.isEmpty,
                    "column \(name), \(threads) threads: rows \(mismatches.prefix(5).map { (column.cell($0), expected[index][$0]) })")
            }
        }
    }

    @Test(
        "Records of plain decimals read as the scalar parser reads them, bit for bit: every shape and length, missing-value markers, a skipped column, CR LF, and a field that is not one in the middle of a group"
    )
    func plainDecimalGroups() throws {
        // On processors with AVX-512 such records are read eight at a time (the last group of a stretch
        // smaller); any record the fast loop does not read sends its group back to the scalar loop.
        var generator = SplitMix(seed: 99)
        func plain() -> String {
            let sign = ["", "", "-", "+"][Int(generator.next() % 4)]
            switch generator.next() % 12 {
            case 0: return sign + "." + generator.digits(Int(generator.next() % 15) + 1)
            case 1: return sign + generator.digits(Int(generator.next() % 15) + 1) + "."
            case 2: return sign + generator.digits(Int(generator.next() % 16) + 1)
            case 3: return sign + "0.0"
            case 4: return String((sign + generator.digits(16)).prefix(16))
            default:
                let whole = Int(generator.next() % 8) + 1
                let fraction = Int(generator.next() % UInt64(16 - whole - (sign.isEmpty ? 0 : 1)))
                return sign + generator.digits(whole) + (fraction > 0 ? "." + generator.digits(fraction) : "")
            }
        }
        // Fields the fast loop leaves to the scalar one, which still reads them as numbers or missing values.
        let odd = ["NA", "", "1e5", "12345678901234567", "9007199254740993", "-1.5E-3", "\"2.5\"", "00000000000000001.5"]
        let rows = 20_003
        var text = "a,b,skipped,c,d,e\n"
        var expected: [[Double?]] = Array(repeating: [], count: 5)
        for row in 0..<rows {
            // One field in 20 is a missing-value marker, which the fast loop reads itself.
            let markers = ["", "NA", "?", "NaN", "null"]
            var fields = (0..<5).map { _ in generator.next() % 20 == 0 ? markers[Int(generator.next() % 5)] : plain() }
            if row % 389 == 17 { fields[row % 5] = odd[(row / 389) % odd.count] }
            for (column, field) in fields.enumerated() {
                let bare = field.filter { $0 != "\"" }
                expected[column].append(markers.contains(bare) ? nil : Double(bare)!)
            }
            let line = [fields[0], fields[1], generator.digits(3) + "x", fields[2], fields[3], fields[4]].joined(separator: ",")
            text += line + (row >= 9_000 && row < 9_500 ? "\r\n" : "\n")
        }
        var options = CSVOptions(threads: 2, blockSize: 1 << 16)
        options.types = ["a": .double, "b": .double, "c": .double, "d": .double, "e": .double]
        options.leftOut = ["skipped"]
        let frame = try CSVReader(options: options).read(text: text)
        #expect(frame.rowCount == rows)
        for (index, name) in ["a", "b", "c", "d", "e"].enumerated() {
            let column = try #require(frame[name])
            let mismatches = (0..<rows).filter { row in
                guard case .double(let value) = column.cell(row) else { return expected[index][row] != nil }
                return value.bitPattern != expected[index][row]?.bitPattern
            }
            #expect(
                mismatches.isEmpty, "column \(name): rows \(mismatches.prefix(5).map { ($0, column.cell($0), expected[index][$0]) })")
        }
        // What is not a number is not read as one by either loop: the reader stops at it. So does an empty
        // field when the empty text is not a missing-value marker.
        for spelling in ["", "--1", "+", ".", "-", "1-2", "1+", "+-1", "0x10", "1_0", ".e1"] {
            var lines = "a,b,c\n"
            for row in 0..<64 { lines += row == 37 ? "1.5,\(spelling),2.5\n" : "\(row).25,-\(row).5,\(row)\n" }
            var typed = CSVOptions(threads: 1, blockSize: 1 << 16)
            typed.types = ["a": .double, "b": .double, "c": .double]
            typed.missingMarkers = ["NA"]
            let error = #expect(throws: DataError.self, "\(spelling)") { try CSVReader(options: typed).read(text: lines, name: "odd.csv") }
            #expect(error?.message.hasPrefix("odd.csv:39:") == true, "\(spelling): \(String(describing: error?.message))")
        }
    }

    @Test(
        "Missing-value markers read alike in every loop, and one that looks like a number wins over the number",
        arguments: [["n/a", "NA", "?"], ["-999", "n/a", "-"]])
    func markersInEveryLoop(markers: [String]) throws {
        var text = "a,b,c\n"
        var expected: [[Double?]] = [[], [], []]
        for row in 0..<2_000 {
            var fields = ["\(row).25", "-\(row).5", "\(row % 97)"]
            if row % 11 < 3 { fields[row % 3] = markers[row % 11] }
            for (column, field) in fields.enumerated() { expected[column].append(markers.contains(field) ? nil : Double(field)!) }
            text += fields.joined(separator: ",") + "\n"
        }
        for (threads, blockSize) in [(1, 64), (1, 1 << 16), (2, 1 << 12)] {
            var options = CSVOptions(threads: threads, blockSize: blockSize)
            options.missingMarkers = markers
            options.types = ["a": .double, "b": .double, "c": .double]
            let frame = try CSVReader(options: options).read(text: text)
            for (index, name) in ["a", "b", "c"].enumerated() {
                let column = try #require(frame[name])
                let wrong = (0..<2_000).filter { row in
                    guard case .double(let value) = column.cell(row) else { return expected[index][row] != nil }
                    return value != expected[index][row]
                }
                #expect(wrong.isEmpty, "\(name), \(threads) threads, blocks of \(blockSize): rows \(wrong.prefix(5))")
            }
        }
    }

    @Test("Blank lines in a file of one number column are passed over by every path, as in any file")
    func blankLinesInOneColumn() throws {
        var text = "x\n"
        var expected: [Double] = []
        for row in 0..<3_000 {
            if row % 7 == 3 || (row > 1_000 && row < 1_200) {
                text += row % 2 == 0 ? "\n" : "\r\n"
            } else {
                text += "\(row).5\n"
                expected.append(Double(row) + 0.5)
            }
        }
        for (threads, blockSize) in [(1, 64), (1, 1 << 16), (2, 1 << 12)] {
            let frame = try CSVReader(options: CSVOptions(threads: threads, blockSize: blockSize)).read(text: text)
            #expect(frame.rowCount == expected.count, "\(threads) threads, blocks of \(blockSize)")
            #expect(frame["x"]?.doubles == expected, "\(threads) threads, blocks of \(blockSize)")
        }
    }

    @Test("A file large enough to have its columns mapped ahead reads right, and a failure late in it stops cleanly")
    func largeWholeRead() throws {
        // 800,000 rows of three doubles reserve about 19 MB, above the size at which the columns' memory
        // is mapped ahead by a thread of its own.
        var text = "a,b,c\n"
        text.reserveCapacity(24 << 20)
        let rows = 800_000
        for row in 0..<rows { text += "\(row),\(row).5,-\(row % 1000).25\n" }
        let options = CSVOptions(threads: 2, blockSize: 1 << 20)
        let frame = try CSVReader(options: options).read(text: text)
        #expect(frame.rowCount == rows)
        let a = try #require(frame["a"]?.doubles)
        let b = try #require(frame["b"]?.doubles)
        let c = try #require(frame["c"]?.doubles)
        #expect(a.indices.allSatisfy { a[$0] == Double($0) && b[$0] == Double($0) + 0.5 && c[$0] == -(Double($0 % 1000) + 0.25) })
        let error = #expect(throws: DataError.self) {
            try CSVReader(options: options).read(text: text + "1,2,x\n", name: "large.csv")
        }
        #expect(error?.message.hasPrefix("large.csv:\(rows + 2):5: the value 'x' in column 'c' is not a number") == true)
    }

    @Test("Wide files of numbers read right: records longer than the first window, and longer than the widest", arguments: [600, 7_000])
    func wideNumericFiles(columns: Int) throws {
        let rows = columns > 1_000 ? 12 : 300
        var text = (0..<columns).map { "c\($0)" }.joined(separator: ",") + "\n"
        for row in 0..<rows { text += (0..<columns).map { "\(row - $0).\(($0 * 7 + row) % 1000)" }.joined(separator: ",") + "\n" }
        var options = CSVOptions(threads: 2, blockSize: 1 << 18)
        options.types = Dictionary(uniqueKeysWithValues: (0..<columns).map { ("c\($0)", ColumnType.double) })
        let frame = try CSVReader(options: options).read(text: text)
        #expect(frame.rowCount == rows)
        var wrong = 0
        for column in 0..<columns {
            let values = try #require(frame["c\(column)"]?.doubles)
            for row in 0..<rows where values[row] != Double("\(row - column).\((column * 7 + row) % 1000)")! { wrong += 1 }
        }
        #expect(wrong == 0)
    }

    @Test("Integer columns beside decimals read exactly: signs, missing values, long integers, and a decimal that widens the column late")
    func integersBesideDecimals() throws {
        var generator = SplitMix(seed: 7)
        func integer(_ row: Int) -> String {
            switch generator.next() % 12 {
            case 0: return ""
            case 1: return "NA"
            case 2: return "+\(generator.next() % 1000)"
            case 3: return "-\(generator.next() % 100_000)"
            case 4: return String(generator.next() % 1_000_000_000_000_000_000)  // up to 18 digits
            default: return String(Int(generator.next() % 20_000) - 10_000)
            }
        }
        for widenAt in [nil, 9_000] as [Int?] {
            var text = "id,n,x\n"
            var expected: [String] = []
            for row in 0..<12_000 {
                let n = row == widenAt ? "2.5" : integer(row)
                expected.append(n)
                text += "\(row),\(n),\(Double(row) / 8)\n"
            }
            let frame = try CSVReader(options: CSVOptions(threads: 2, blockSize: 1 << 16)).read(text: text)
            let id = try #require(frame["id"])
            let n = try #require(frame["n"])
            #expect(id.type == .int && n.type == (widenAt == nil ? .int : .double))
            #expect((0..<12_000).allSatisfy { id.cell($0) == .int($0) })
            let wrong = (0..<12_000).filter { row in
                let spelled = expected[row]
                guard spelled != "" && spelled != "NA" else { return n.cell(row) != .missing }
                return widenAt == nil ? n.cell(row) != .int(Int(spelled)!) : n.cell(row) != .double(Double(spelled)!)
            }
            #expect(wrong.isEmpty, "rows \(wrong.prefix(5).map { (expected[$0], n.cell($0)) })")
            #expect(frame["x"]?.doubles?[11_999] == 11_999.0 / 8)
        }
    }

    @Test("Text columns beside numbers read exactly: missing markers, number-like and non-ASCII text, and invalid UTF-8 located")
    func textBesideNumbers() throws {
        var generator = SplitMix(seed: 11)
        let words = ["alpha", "NA", "", "42", "-1.5", "ünïcødé", "a b c", "x;y"]
        var text = "id,city,x,tag\n"
        var cities: [String] = []
        var tags: [String] = []
        for row in 0..<12_000 {
            let city = words[Int(generator.next() % UInt64(words.count))]
            let tag = row % 7 == 0 ? "t\(row % 5)" : words[Int(generator.next() % UInt64(words.count))]
            cities.append(city)
            tags.append(tag)
            text += "\(row),\(city),\(Double(row) / 4),\(tag)\n"
        }
        var options = CSVOptions(threads: 2, blockSize: 1 << 16)
        options.types = ["city": .string, "tag": .string]
        let frame = try CSVReader(options: options).read(text: text)
        #expect(frame.rowCount == 12_000)
        for (name, expected) in [("city", cities), ("tag", tags)] {
            let column = try #require(frame[name])
            let wrong = (0..<12_000).filter { row in
                column.cell(row) != (expected[row] == "" || expected[row] == "NA" ? .missing : .string(expected[row]))
            }
            #expect(wrong.isEmpty, "\(name): rows \(wrong.prefix(5).map { (expected[$0], column.cell($0)) })")
        }
        #expect(frame["x"]?.doubles?[11_999] == 11_999.0 / 4)
        // Invalid UTF-8 deep in the file is reported where it stands.
        var bytes = Array(text.utf8)
        bytes += Array("12000,".utf8) + [0xC3, 0x28] + Array(",1.5,t\n".utf8)
        let error = #expect(throws: DataError.self) {
            try CSVReader(options: options).read(stream: MemoryByteStream(bytes, name: "bad.csv"))
        }
        #expect(error?.message == "bad.csv:12002:7: the value in column 'city' is not valid UTF-8 text")
    }

    @Test("CR LF files of numbers and text read as LF ones do, and a lone CR still ends a line", arguments: ["\n", "\r\n"])
    func lineEndsInTwoPassFiles(lineEnd: String) throws {
        var text = "id,x,y,name" + lineEnd
        for row in 0..<9_000 {
            let name = row % 4 == 0 ? "" : "n\(row % 13)"
            let y = row % 5 == 0 ? "" : "\(row).5"
            // Now and then a lone CR ends a line (the reader takes it as a line end, as before).
            let end = row % 1_500 == 7 ? "\r" : lineEnd
            text += "\(row),\(Double(row) / 16),\(y),\(name)\(end)"
        }
        var options = CSVOptions(threads: 2, blockSize: 1 << 16)
        options.types = ["name": .string]
        let frame = try CSVReader(options: options).read(text: text)
        #expect(frame.rowCount == 9_000)
        let x = try #require(frame["x"]?.doubles)
        let id = try #require(frame["id"])
        let name = try #require(frame["name"])
        let y = try #require(frame["y"])
        let wrong = (0..<9_000).filter { row in
            id.cell(row) != .int(row) || x[row] != Double(row) / 16
                || name.cell(row) != (row % 4 == 0 ? .missing : .string("n\(row % 13)"))
                || y.cell(row) != (row % 5 == 0 ? .missing : .double(Double(row) + 0.5))
        }
        #expect(wrong.isEmpty, "rows \(wrong.prefix(5).map { ($0, id.cell($0), name.cell($0), y.cell($0)) })")
    }

    @Test("Boolean columns beside numbers read exactly, and a bad boolean deep in the file is located")
    func booleansBesideNumbers() throws {
        let spellings = ["true", "false", "TRUE", "False", "", "NA"]
        var text = "id,flag,x\n"
        for row in 0..<12_000 { text += "\(row),\(spellings[(row * 7) % spellings.count]),\(Double(row) / 2)\n" }
        let options = CSVOptions(threads: 2, blockSize: 1 << 16)
        let frame = try CSVReader(options: options).read(text: text)
        let flag = try #require(frame["flag"])
        #expect(flag.type == .bool)
        let wrong = (0..<12_000).filter { row in
            let spelled = spellings[(row * 7) % spellings.count]
            return flag.cell(row) != (spelled == "" || spelled == "NA" ? .missing : .bool(spelled.lowercased() == "true"))
        }
        #expect(wrong.isEmpty, "rows \(wrong.prefix(5).map { (spellings[($0 * 7) % spellings.count], flag.cell($0)) })")
        #expect(frame["x"]?.doubles?[11_999] == 11_999.0 / 2)
        let error = #expect(throws: DataError.self) {
            try CSVReader(options: options).read(text: text + "12000,maybe,1.5\n", name: "flags.csv")
        }
        #expect(error?.message.hasPrefix("flags.csv:12002:7: the value 'maybe' in column 'flag' is not true or false") == true)
    }

    @Test("A record with a field too many or too few deep in a file of numbers names its line")
    func fieldCountDeepInNumbers() {
        var text = "x,y,z\n"
        for row in 0..<20_000 { text += "\(Double(row) / 8),-\(row).25,0.\(row)\n" }
        for (bad, found) in [("1.5,2.5,3.5,4.5", 4), ("1.5,2.5", 2)] {
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            lines[15_001] = bad
            let error = #expect(throws: DataError.self) {
                try CSVReader(options: CSVOptions(threads: 2, blockSize: 1 << 16)).read(text: lines.joined(separator: "\n"), name: "n.csv")
            }
            #expect(error?.message == "n.csv:15002: expected 3 fields, found \(found)")
        }
    }

    private func format6(_ value: Double) -> String {
        let scaled = Int((value * 1_000_000).rounded())
        let sign = scaled < 0 ? "-" : ""
        let magnitude = abs(scaled)
        let fraction = String(magnitude % 1_000_000)
        return "\(sign)\(magnitude / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)"
    }
}

@Suite("CSV type inference")
struct InferenceTests {
    @Test("The sample is the same rows whatever the block size, even when a blank line comes first")
    func sampleIndependentOfBlocks() throws {
        let text = "a,b\n\r" + String(repeating: "x", count: 300) + ",1\n2,3\n"
        var small = CSVOptions()
        small.blockSize = 64
        small.inferenceRows = 1
        var large = small
        large.blockSize = 1 << 20
        let one = try CSVReader(options: small).read(text: text)
        let two = try CSVReader(options: large).read(text: text)
        #expect(one == two)
        #expect(one.schema.fields.map(\.type) == [.string, .int])
    }

    @Test("A header that exactly fills the first block still gets a sample of the rows after it")
    func headerFillsBlock() throws {
        let header = "a," + String(repeating: "b", count: 61) + "\n"
        var small = CSVOptions()
        small.blockSize = 64
        small.inferenceRows = 1
        let frame = try CSVReader(options: small).read(text: header + "x,1\ny,2\n")
        #expect(frame.schema.fields.map(\.type) == [.string, .int])
    }
}

extension CSVOptions {
    /// Default options with this many threads and, when given, this block size.
    init(threads: Int, blockSize: Int? = nil) {
        self.init()
        self.threads = threads
        if let blockSize { self.blockSize = blockSize }
    }
}
