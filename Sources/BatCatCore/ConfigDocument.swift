import Foundation
import Yams

/// A value read from a configuration file, before it is flattened into dotted keys.
public indirect enum ConfigNode: Equatable, Sendable {
    /// `null`, or an empty YAML value.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number without fraction or exponent.
    case int(Int)
    /// Any other number.
    case double(Double)
    /// Text.
    case string(String)
    /// A list.
    case array([ConfigNode])
    /// Keys and values, in file order (JSON) or sorted (YAML).
    case object([(key: String, value: ConfigNode)])

    /// Two nodes are equal when they hold equal values; object members compare in order.
    public static func == (lhs: ConfigNode, rhs: ConfigNode) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.double(let a), .double(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }
}

/// Parses configuration files (JSON or YAML) into ``ConfigNode`` trees, with errors that give file, line and column.
public enum ConfigDocument {
    /// Parses `text` as JSON or YAML, chosen by the file name's extension.
    public static func parse(_ text: String, fileName: String) throws(CoreError) -> ConfigNode {
        let lowered = fileName.lowercased()
        if lowered.hasSuffix(".yaml") || lowered.hasSuffix(".yml") {
            return try parseYAML(text, fileName: fileName)
        }
        return try parseJSON(text, fileName: fileName)
    }

    /// Parses strict JSON (RFC 8259).
    ///
    /// Written by hand because Foundation's parser reports only a character offset (or none) and
    /// accepts trailing commas; a configuration error must name the line and column.
    public static func parseJSON(_ text: String, fileName: String) throws(CoreError) -> ConfigNode {
        var parser = StrictJSONParser(bytes: Array(text.utf8))
        do throws(StrictJSONParser.Failure) {
            parser.skipWhitespace()
            let value = try parser.parseValue(depth: 0)
            parser.skipWhitespace()
            if parser.index < parser.bytes.count { throw parser.failure("expected the end of the file after the top-level value") }
            return value
        } catch {
            let (line, column) = parser.location(of: error.offset)
            throw CoreError(
                .configSyntax, "\(fileName):\(line):\(column): invalid JSON: \(error.reason)",
                hints: ["fix the file at line \(line), column \(column); JSON allows no comments and no trailing commas"])
        }
    }

    /// Parses YAML with Yams.
    public static func parseYAML(_ text: String, fileName: String) throws(CoreError) -> ConfigNode {
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: text)
        } catch let error as YamlError {
            throw yamlFailure(error, fileName: fileName)
        } catch {
            throw CoreError(.configSyntax, "\(fileName): invalid YAML: \(error)")
        }
        guard let loaded else { return .object([]) }
        return try node(fromYAML: loaded, path: "", fileName: fileName)
    }

    private static func yamlFailure(_ error: YamlError, fileName: String) -> CoreError {
        var line = 0
        var column = 0
        var reason = "\(error)"
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
            line = mark.line
            column = mark.column
            reason = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        case .composer(let context, let problem, let mark, _):
            line = mark.line
            column = mark.column
            reason = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        default:
            break
        }
        return CoreError(
            .configSyntax, "\(fileName):\(line):\(column): invalid YAML: \(reason)",
            hints: ["fix the file at line \(line), column \(column)"])
    }

    private static func node(fromYAML value: Any, path: String, fileName: String) throws(CoreError) -> ConfigNode {
        switch value {
        case let value as Bool: return .bool(value)
        case let value as Int: return .int(value)
        case let value as Double: return .double(value)
        case let value as String: return .string(value)
        case let value as [Any]:
            var items: [ConfigNode] = []
            for (index, item) in value.enumerated() {
                items.append(try node(fromYAML: item, path: "\(path)[\(index)]", fileName: fileName))
            }
            return .array(items)
        case let value as [AnyHashable: Any]:
            var members: [(key: String, value: ConfigNode)] = []
            for (key, item) in value {
                let name = "\(key.base)"
                members.append((name, try node(fromYAML: item, path: path.isEmpty ? name : "\(path).\(name)", fileName: fileName)))
            }
            return .object(members.sorted { $0.key < $1.key })
        case is NSNull: return .null
        default:
            if "\(value)" == "<null>" || "\(type(of: value))".contains("Null") { return .null }
            throw CoreError(
                .configStructure, "\(fileName): the value at '\(path)' has a type configuration does not support (\(type(of: value)))",
                hints: ["use strings, numbers, booleans, lists and mappings only"])
        }
    }
}

/// A small strict JSON parser that remembers where it failed.
struct StrictJSONParser {
    struct Failure: Error {
        var offset: Int
        var reason: String
    }

    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    func failure(_ reason: String) -> Failure { Failure(offset: index, reason: reason) }

    /// One-based line and column (in characters) of a byte offset.
    func location(of offset: Int) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = 0
        for i in 0..<min(offset, bytes.count) where bytes[i] == UInt8(ascii: "\n") {
            line += 1
            lineStart = i + 1
        }
        let end = min(offset, bytes.count)
        let column = String(decoding: bytes[lineStart..<end], as: UTF8.self).count + 1
        return (line, column)
    }

    mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    mutating func parseValue(depth: Int) throws(Failure) -> ConfigNode {
        guard depth < 512 else { throw failure("nesting deeper than 512 levels") }
        guard index < bytes.count else { throw failure("unexpected end of file, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw failure("unexpected character '\(Character(Unicode.Scalar(bytes[index])))', expected a value")
        }
    }

    private mutating func expectWord(_ word: String) throws(Failure) {
        let utf8 = Array(word.utf8)
        guard bytes.count - index >= utf8.count, Array(bytes[index..<index + utf8.count]) == utf8 else {
            throw failure("expected '\(word)'")
        }
        index += utf8.count
    }

    private mutating func parseObject(depth: Int) throws(Failure) -> ConfigNode {
        index += 1
        var members: [(key: String, value: ConfigNode)] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw failure(members.isEmpty ? "expected a quoted key or '}'" : "expected a quoted key (no trailing comma before '}')")
            }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':' after the key \"\(key)\"") }
            index += 1
            skipWhitespace()
            let value = try parseValue(depth: depth + 1)
            if let existing = members.firstIndex(where: { $0.key == key }) {
                members[existing].value = value
            } else {
                members.append((key, value))
            }
            skipWhitespace()
            guard index < bytes.count else { throw failure("unexpected end of file, expected ',' or '}'") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "}") else { throw failure("expected ',' or '}'") }
            index += 1
            return .object(members)
        }
    }

    private mutating func parseArray(depth: Int) throws(Failure) -> ConfigNode {
        index += 1
        var items: [ConfigNode] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { throw failure("expected a value (no trailing comma before ']')") }
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard index < bytes.count else { throw failure("unexpected end of file, expected ',' or ']'") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "]") else { throw failure("expected ',' or ']'") }
            index += 1
            return .array(items)
        }
    }

    private mutating func parseString() throws(Failure) -> String {
        let start = index
        index += 1
        var out: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { break }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xD800..<0xDC00).contains(scalar), bytes.count - index >= 6,
                        bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                    {
                        index += 2
                        let low = try parseHex4()
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    let character = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                    out.append(contentsOf: Array(String(character).utf8))
                default:
                    index -= 1
                    throw failure("invalid escape '\\\(Character(Unicode.Scalar(escape)))' in a string")
                }
            case 0..<0x20:
                throw failure("control character inside a string (escape newlines as \\n)")
            default:
                out.append(byte)
                index += 1
            }
        }
        index = start
        throw failure("unterminated string")
    }

    private mutating func parseHex4() throws(Failure) -> UInt32 {
        guard bytes.count - index >= 4 else { throw failure("expected four hex digits after \\u") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = Character(Unicode.Scalar(bytes[index])).hexDigitValue else {
                throw failure("expected four hex digits after \\u")
            }
            value = value * 16 + UInt32(digit)
            index += 1
        }
        return value
    }

    private mutating func parseNumber() throws(Failure) -> ConfigNode {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        func digits() -> Int {
            let from = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - from
        }
        guard digits() > 0 else { throw failure("expected a digit") }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard digits() > 0 else { throw failure("expected a digit after the decimal point") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw failure("expected a digit in the exponent") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger, let value = Int(text) { return .int(value) }
        guard let value = Double(text) else {
            index = start
            throw failure("number out of range")
        }
        return .double(value)
    }
}

extension ConfigNode {
    /// The node as JSON text, for decoding into `Codable` types (training specs, for example).
    public var jsonText: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .double(let value): return value.isFinite ? String(value) : "null"
        case .string(let value): return JSONText.quoted(value)
        case .array(let items): return "[" + items.map(\.jsonText).joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.map { JSONText.quoted($0.key) + ":" + $0.value.jsonText }.joined(separator: ",") + "}"
        }
    }
}

/// Reads a JSON or YAML document (a training spec, for example) into a `Decodable` type, with errors
/// that name the file, and the key path of a missing or mistyped setting.
public enum DocumentDecoder {
    /// Decodes the file at `path`; `displayName` is used in messages.
    public static func decode<T: Decodable>(_ type: T.Type, path: String, displayName: String? = nil) throws(CoreError) -> T {
        let name = displayName ?? path
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw CoreError(.configFileUnreadable, "cannot read '\(name)': \(error.localizedDescription)", hints: ["check the path"])
        }
        let node = try ConfigDocument.parse(text, fileName: name)
        do {
            return try JSONDecoder().decode(T.self, from: Data(node.jsonText.utf8))
        } catch let error as DecodingError {
            throw CoreError(
                .configStructure, "\(name): \(describe(error))", hints: ["see the training-spec section of the README for every setting"])
        } catch {
            throw CoreError(.configStructure, "\(name): \(error)")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            let full = path(context.codingPath + [key])
            return context.debugDescription.hasPrefix("No value associated")
                ? "the setting '\(full)' is missing" : "\(context.debugDescription) ('\(full)')"
        case .typeMismatch(let type, let context):
            return "the setting '\(path(context.codingPath))' has the wrong type (expected \(describeType(type)))"
        case .valueNotFound(let type, let context):
            return "the setting '\(path(context.codingPath))' is empty (expected \(describeType(type)))"
        case .dataCorrupted(let context):
            let where_ = path(context.codingPath)
            return where_.isEmpty ? context.debugDescription : "\(where_): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func describeType(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "text"
        case is Double.Type, is Float.Type: "a number"
        case is Int.Type, is UInt64.Type: "a whole number"
        case is Bool.Type: "true or false"
        default: "\(type)".contains("Array") ? "a list" : (("\(type)".contains("Dictionary")) ? "a mapping" : "\(type)")
        }
    }
}
