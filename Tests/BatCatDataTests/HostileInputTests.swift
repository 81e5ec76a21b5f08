import BatCatData
import Foundation
import Testing

/// The committed corpus of hostile files (also the fuzzer's seeds): each gives a frame or a clear error.
@Suite("Hostile input")
struct HostileInputTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fuzz/corpus/csv")

    private func outcome(_ name: String) -> Result<DataFrame, DataError> {
        let path = HostileInputTests.corpus.appendingPathComponent(name).path
        do throws(DataError) {
            return .success(try CSVReader().read(path: path))
        } catch {
            return .failure(error)
        }
    }

    private func message(_ name: String) -> String? {
        if case .failure(let error) = outcome(name) {
            return error.message.replacingOccurrences(of: HostileInputTests.corpus.path + "/", with: "")
        }
        return nil
    }

    @Test("Every file in the corpus reads or fails with a message naming the file")
    func everyFile() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: HostileInputTests.corpus.path).sorted()
        #expect(names.count >= 10)
        for name in names {
            if case .failure(let error) = outcome(name) {
                #expect(error.message.contains(name), "\(name): \(error.message)")
                #expect(!error.hints.isEmpty || error.code == .emptyInput || error.code == .invalidText, "\(name) has no hint")
            }
        }
    }

    @Test("An unterminated quote is a located error")
    func unterminated() {
        #expect(message("unterminated-quote.csv") == "unterminated-quote.csv:2:3: a quoted field is never closed")
    }

    @Test("NUL bytes are ordinary bytes of text")
    func nulBytes() throws {
        let frame = try outcome("nul-bytes.csv").get()
        #expect(frame["b"]?.cell(0) == .string("2\u{0}"))
    }

    @Test("A 1 MB field is read whole")
    func bigField() throws {
        let frame = try outcome("big-field.csv").get()
        #expect(frame["a"]?.cell(0) == .string(String(repeating: "x", count: 1_000_000)))
        #expect(frame.rowCount == 2)
    }

    @Test("Mixed line endings give one row per line")
    func mixedEndings() throws {
        #expect(try outcome("mixed-endings.csv").get()["a"]?.doubles == [1, 3, 5])
    }

    @Test("Invalid UTF-8, an empty file and ragged rows are errors that say so")
    func errors() {
        #expect(message("invalid-utf8.csv") == "invalid-utf8.csv:2:1: the value in column 'name' is not valid UTF-8 text")
        #expect(message("empty.csv") == "empty.csv is empty: it has no header row")
        #expect(message("ragged.csv") == "ragged.csv:2: expected 2 fields, found 1")
    }

    @Test("A header-only file has columns and no rows")
    func headerOnly() throws {
        let frame = try outcome("header-only.csv").get()
        #expect(frame.columnNames == ["a", "b", "c"] && frame.rowCount == 0)
    }
}
