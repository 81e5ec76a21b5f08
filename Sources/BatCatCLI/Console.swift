import BatCatCore
import Foundation

/// Writes to standard output (data) and standard error (everything else).
enum Console {
    private static let standardOutput = FileSink(descriptor: 1)
    private static let standardError = FileSink(descriptor: 2)

    /// Writes data to standard output.
    static func out(_ text: String) { standardOutput.write(text) }

    /// Writes a message to standard error, with any URL's password redacted.
    static func err(_ text: String) { standardError.write(Redaction.redactingURLSecrets(text)) }

    /// Writes an error, its causes and its hints to standard error (passwords in URLs redacted).
    static func error(_ error: any ReportableError) {
        var text = "error: \(error.message)\n"
        for hint in error.hints { text += "hint: \(hint)\n" }
        // The chain underneath, each cause once, leaving out what the message already says.
        var said = error.message
        for cause in error.causes {
            let words = (cause as? any ReportableError)?.message ?? "\(cause)"
            guard !said.contains(words) else { continue }
            text += "cause: \(words)\n"
            said += " " + words
        }
        err(text)
    }

    /// Whether standard input is a terminal.
    static var inputIsTerminal: Bool { isatty(0) == 1 }

    /// `1,000,000`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// `210.4 MB`.
    static func megabytes(_ bytes: Int) -> String {
        String(format: "%.1f MB", Double(bytes) / 1e6)
    }

    /// Seconds as BatCat prints durations: `0.41 s`.
    static func seconds(since start: ContinuousClock.Instant) -> String {
        let elapsed = ContinuousClock.now - start
        let value = elapsed.inSeconds
        return String(format: "%.2f s", value)
    }
}

/// `1 file`, `2 files`, `1,500 rows`.
func plural(_ count: Int, _ noun: String) -> String {
    count == 1 ? "1 \(noun)" : "\(Console.grouped(count)) \(noun)s"
}
