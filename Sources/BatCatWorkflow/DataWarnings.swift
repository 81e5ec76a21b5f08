import Logging

/// Warnings about data that was read without error but probably not as meant.
public enum DataWarnings {
    /// Warns when a table read as a single column whose name holds another likely delimiter (`a;b;c`): the usual
    /// sign of a file written with `;`, tabs or `|` and read with the default comma. `fix` says how to pass the
    /// delimiter (spelled `';'` or `tab`) where the file was named.
    public static func oneColumn(_ names: [String], delimiter: UInt8, file: String, logger: Logger, fix: (String) -> String) {
        guard names.count == 1, let name = names.first else { return }
        let candidates: [(UInt8, String)] = [(UInt8(ascii: ";"), "';'"), (0x09, "tab"), (UInt8(ascii: "|"), "'|'")]
        guard let (_, spelled) = candidates.first(where: { name.utf8.contains($0.0) && $0.0 != delimiter }) else { return }
        logger.warning(
            "the file has a single column, whose name holds \(spelled == "tab" ? "tabs" : spelled): \(fix(spelled)) if that separates its fields",
            metadata: ["file": "\(file)"])
    }
}
