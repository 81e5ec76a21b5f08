import BatCatData
import BatCatML
import Foundation

/// Decodes every accepted request format into a frame of the model's features:
/// `{"x": [[…]]}`, `{"records": [{…}]}`, and MLflow's `dataframe_split`, `dataframe_records`,
/// `instances` and `inputs`; and headerless CSV rows in feature order (SageMaker's `text/csv`).
enum InputDecoder {
    static let formats = ["x", "records", "dataframe_split", "dataframe_records", "instances", "inputs"]

    static func decodeJSON(_ data: Data, model: ServedModel) throws(ServeError) -> DataFrame {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ServeError.badJSON("the body is not valid JSON")
        }
        guard let dictionary = object as? [String: Any] else {
            throw ServeError.badJSON("the body must be a JSON object with one of: \(formats.joined(separator: ", "))")
        }
        guard let key = formats.first(where: { dictionary[$0] != nil }) else {
            throw ServeError.invalidInput("the body has none of the accepted keys: \(formats.joined(separator: ", "))")
        }
        // One format a body: another key beside it is a mistake to report, not to ignore.
        if let other = dictionary.keys.sorted().first(where: { $0 != key }) {
            throw ServeError.invalidInput("the body has '\(key)' and also '\(other)': send one of \(formats.joined(separator: ", ")), alone")
        }
        let value = dictionary[key]!
        switch key {
        case "dataframe_split":
            guard let split = value as? [String: Any], let columns = split["columns"] as? [String], let data = split["data"] as? [[Any]]
            else {
                throw ServeError.invalidInput("dataframe_split needs \"columns\" (a list of names) and \"data\" (a list of rows)")
            }
            return try frame(
                records: data.enumerated().map { index, row throws(ServeError) -> [String: Any] in
                    guard row.count == columns.count else {
                        throw ServeError.invalidInput("row \(index) has \(row.count) values but there are \(columns.count) columns")
                    }
                    return Dictionary(uniqueKeysWithValues: zip(columns, row))
                }, model: model)
        case "records", "dataframe_records":
            guard let records = value as? [[String: Any]] else {
                throw ServeError.invalidInput("\(key) must be a list of objects of feature values")
            }
            return try frame(records: records, model: model)
        default:
            guard let rows = value as? [Any] else { throw ServeError.invalidInput("\(key) must be a list of rows") }
            if let records = rows as? [[String: Any]], !records.isEmpty { return try frame(records: records, model: model) }
            var positional: [[Any]] = []
            for (index, row) in rows.enumerated() {
                guard let values = row as? [Any] else { throw ServeError.invalidInput("row \(index) must be a list of feature values") }
                guard values.count == model.features.count else {
                    throw ServeError.invalidInput(
                        "row \(index) has \(values.count) values but the model takes \(model.features.count) features")
                }
                positional.append(values)
            }
            let names = model.features.map(\.name)
            return try frame(records: positional.map { Dictionary(uniqueKeysWithValues: zip(names, $0)) }, model: model)
        }
    }

    static func frame(records: [[String: Any]], model: ServedModel) throws(ServeError) -> DataFrame {
        guard !records.isEmpty else { throw ServeError.invalidInput("the input is empty: send at least one row") }
        var columns: [Column] = []
        for feature in model.features {
            var numbers: [Double?] = []
            var texts: [String?] = []
            for (row, record) in records.enumerated() {
                guard let raw = record[feature.name] else {
                    throw ServeError.invalidInput("row \(row) has no feature '\(feature.name)'")
                }
                if raw is NSNull {
                    numbers.append(nil)
                    texts.append(nil)
                    continue
                }
                let boolean = JSONValue.isBoolean(raw)
                if feature.type == .string {
                    if let text = raw as? String {
                        texts.append(text)
                    } else if let number = raw as? NSNumber {
                        texts.append(boolean ? (number.boolValue ? "true" : "false") : number.stringValue)
                    } else {
                        throw ServeError.invalidInput("row \(row), feature '\(feature.name)': expected a text")
                    }
                } else {
                    guard let number = raw as? NSNumber, !boolean || feature.type == .bool else {
                        throw ServeError.invalidInput(
                            "row \(row), feature '\(feature.name)': expected \(feature.type == .bool ? "true, false, 0 or 1" : "a number")")
                    }
                    let value = number.doubleValue
                    guard value.isFinite else {
                        throw ServeError.invalidInput("row \(row), feature '\(feature.name)': NaN and infinity are not accepted")
                    }
                    numbers.append(value)
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

/// What JSONSerialization's values are, where bridging hides it.
enum JSONValue {
    /// Whether `value` was a JSON `true` or `false`, not a number. On Linux a JSON `0` or `1` also casts to
    /// `Bool`, so the test is on the number's storage: JSONSerialization stores booleans as `char` ("c"),
    /// and numbers as integers ("q", "i") or doubles ("d"), never as `char`.
    static func isBoolean(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return number.objCType.pointee == CChar(UInt8(ascii: "c"))
    }
}
