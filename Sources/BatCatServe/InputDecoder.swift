import BatCatData
import BatCatML
import Foundation

/// Decodes every accepted request format into a frame of the model's features:
/// `{"x": [[…]]}`, `{"records": [{…}]}`, and MLflow's `dataframe_split`, `dataframe_records`,
/// `instances` and `inputs`; and headerless CSV rows in feature order (SageMaker's `text/csv`).
enum InputDecoder {
    static let formats = ["x", "records", "dataframe_split", "dataframe_records", "instances", "inputs"]

    static func decodeJSON(_ data: Data, model: ServedModel) throws(ServeError) -> DataFrame {
        let body: JSONNode
        do {
            body = try JSONDecoder().decode(JSONNode.self, from: data)
        } catch {
            throw ServeError.badJSON("the body is not valid JSON")
        }
        guard case .object(let dictionary) = body else {
            throw ServeError.badJSON("the body must be a JSON object with one of: \(formats.joined(separator: ", "))")
        }
        guard let key = formats.first(where: { dictionary[$0] != nil }), let value = dictionary[key] else {
            throw ServeError.invalidInput("the body has none of the accepted keys: \(formats.joined(separator: ", "))")
        }
        // One format a body: another key beside it is a mistake to report, not to ignore.
        if let other = dictionary.keys.sorted().first(where: { $0 != key }) {
            throw ServeError.invalidInput("the body has '\(key)' and also '\(other)': send one of \(formats.joined(separator: ", ")), alone")
        }
        switch key {
        case "dataframe_split":
            guard case .object(let split) = value, let columns = split["columns"]?.strings, let rows = split["data"]?.arrays else {
                throw ServeError.invalidInput("dataframe_split needs \"columns\" (a list of names) and \"data\" (a list of rows)")
            }
            if let twice = Dictionary(columns.map { ($0, 1) }, uniquingKeysWith: +).first(where: { $0.value > 1 })?.key {
                throw ServeError.invalidInput("dataframe_split names the column '\(twice)' twice: name each column once")
            }
            var records: [[String: JSONNode]] = []
            records.reserveCapacity(rows.count)
            for (index, row) in rows.enumerated() {
                guard row.count == columns.count else {
                    throw ServeError.invalidInput("row \(index) has \(row.count) values but there are \(columns.count) columns")
                }
                records.append(Dictionary(uniqueKeysWithValues: zip(columns, row)))
            }
            return try frame(records: records, model: model)
        case "records", "dataframe_records":
            guard let records = value.objects else {
                throw ServeError.invalidInput("\(key) must be a list of objects of feature values")
            }
            return try frame(records: records, model: model)
        default:
            guard case .array(let rows) = value else { throw ServeError.invalidInput("\(key) must be a list of rows") }
            if !rows.isEmpty, let records = value.objects { return try frame(records: records, model: model) }
            let names = model.features.map(\.name)
            var records: [[String: JSONNode]] = []
            records.reserveCapacity(rows.count)
            for (index, row) in rows.enumerated() {
                guard case .array(let values) = row else { throw ServeError.invalidInput("row \(index) must be a list of feature values") }
                guard values.count == names.count else {
                    throw ServeError.invalidInput(
                        "row \(index) has \(values.count) values but the model takes \(names.count) features")
                }
                records.append(Dictionary(uniqueKeysWithValues: zip(names, values)))
            }
            return try frame(records: records, model: model)
        }
    }

    static func frame(records: [[String: JSONNode]], model: ServedModel) throws(ServeError) -> DataFrame {
        guard !records.isEmpty else { throw ServeError.invalidInput("the input is empty: send at least one row") }
        var columns: [Column] = []
        for feature in model.features {
            var numbers: [Double?] = []
            var texts: [String?] = []
            for (row, record) in records.enumerated() {
                guard let raw = record[feature.name] else {
                    throw ServeError.invalidInput("row \(row) has no feature '\(feature.name)'")
                }
                switch (raw, feature.type) {
                case (.null, _):
                    numbers.append(nil)
                    texts.append(nil)
                case (.string(let text), .string):
                    texts.append(text)
                case (.number(let number), .string):
                    // A whole number is the category's name as written ("3", not "3.0").
                texts.append(number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : NumberFormatting.shortest(number))
                case (.bool(let flag), .string):
                    texts.append(flag ? "true" : "false")
                case (.bool(let flag), .bool):
                    numbers.append(flag ? 1 : 0)
                case (.number(let value), _):
                    guard value.isFinite else {
                        throw ServeError.invalidInput("row \(row), feature '\(feature.name)': NaN and infinity are not accepted")
                    }
                    numbers.append(value)
                case (_, .string):
                    throw ServeError.invalidInput("row \(row), feature '\(feature.name)': expected a text")
                default:
                    throw ServeError.invalidInput(
                        "row \(row), feature '\(feature.name)': expected \(feature.type == .bool ? "true, false, 0 or 1" : "a number")")
                }
            }
            columns.append(feature.type == .string ? Column(feature.name, strings: texts) : Column(feature.name, doubles: numbers))
        }
        do {
            return try DataFrame(columns: columns)
        } catch {
            throw ServeError.invalidInput(error.message)
        }
    }

    static func decodeCSV(_ bytes: [UInt8], model: ServedModel) throws(ServeError) -> DataFrame {
        var options = CSVOptions()
        options.hasHeader = false
        options.threads = 1
        // Columns are named after the features, so every error names the feature, not its position.
        options.headerlessNames = model.featureNames
        for feature in model.features { options.types[feature.name] = feature.readingType }
        let frame: DataFrame
        do {
            frame = try CSVReader(options: options).read(stream: MemoryByteStream(bytes, name: "the body"))
        } catch {
            throw ServeError.invalidInput(error.message)
        }
        guard frame.columns.count == model.features.count else {
            throw ServeError.invalidInput(
                "the CSV rows have \(frame.columns.count) values but the model takes \(model.features.count) features")
        }
        return frame
    }
}

/// A JSON value as the body said it: `true`/`false` are booleans and `0`/`1` numbers on every platform, and
/// numbers are parsed exactly (JSONDecoder is strict on both, where JSONSerialization on Linux is not).
/// The fast path for numeric rows is `RowParser`; this tree serves the general formats.
enum JSONNode: Decodable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONNode])
    case object([String: JSONNode])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let array = try? container.decode([JSONNode].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONNode].self))
        }
    }

    /// The elements, when this is a list of texts.
    var strings: [String]? {
        guard case .array(let items) = self else { return nil }
        var result: [String] = []
        for item in items {
            guard case .string(let text) = item else { return nil }
            result.append(text)
        }
        return result
    }

    /// The elements, when this is a list of lists.
    var arrays: [[JSONNode]]? {
        guard case .array(let items) = self else { return nil }
        var result: [[JSONNode]] = []
        for item in items {
            guard case .array(let inner) = item else { return nil }
            result.append(inner)
        }
        return result
    }

    /// The elements, when this is a list of objects.
    var objects: [[String: JSONNode]]? {
        guard case .array(let items) = self else { return nil }
        var result: [[String: JSONNode]] = []
        for item in items {
            guard case .object(let fields) = item else { return nil }
            result.append(fields)
        }
        return result
    }
}
