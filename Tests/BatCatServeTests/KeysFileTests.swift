import BatCatServe
import Foundation
import Testing

@Suite("Keys files")
struct KeysFileTests {
    @Test(
        "A keys file with a bad line is refused when it is read, naming the file and the line",
        arguments: [
            ("ops sha256:\(String(repeating: "ab", count: 32))\nci sha256:12\n", 2),
            ("# keys\nops\n", 2),
            ("ops sha256:\(String(repeating: "zz", count: 32))\n", 1),
        ])
    func badLine(text: String, line: Int) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("batcat-keys-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(text.utf8).write(to: file)
        let error = #expect(throws: ServeError.self) { try APIKeys.load(file: file.path) }
        #expect(error?.message.hasPrefix("\(file.path):\(line): expected 'name sha256:<64 hex digits>'") == true, "\(error?.message ?? "")")
    }

    @Test("A good keys file loads every key; comments and blank lines are skipped")
    func goodFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("batcat-keys-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        let (key, line) = APIKeys.generate(name: "ops")
        try Data("# team keys\n\n\(line)  # rotated monthly\n".utf8).write(to: file)
        let keys = try APIKeys.load(file: file.path)
        #expect(!keys.isEmpty)
        #expect(keys.match(key) == "ops")
        #expect(keys.match(key + "0") == nil)
    }
}
