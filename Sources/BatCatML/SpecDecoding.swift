import BatCatData

/// Decoding of settings objects in training specs: every key optional (its default applies), and an
/// unknown key is an error that names it, so a typo never passes silently.
/// Estimators and steps added outside BatCatML decode their settings the same way, through these.
public struct SettingKey: CodingKey {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

extension Decoder {
    /// The settings object, after checking that it has only `allowed` keys (and `type`).
    public func settings(_ owner: String, allowed: [String]) throws -> KeyedDecodingContainer<SettingKey> {
        let container = try self.container(keyedBy: SettingKey.self)
        let known = Set(allowed + ["type", "name"])
        for key in container.allKeys where !known.contains(key.stringValue) {
            let close =
                allowed.first { $0.lowercased() == key.stringValue.lowercased().replacingUnderscores() }
                ?? Suggestion.nearest(to: key.stringValue, among: allowed)
            var message = "\(owner) has no setting '\(key.stringValue)'; its settings are: \(allowed.joined(separator: ", "))"
            if let close { message += " (did you mean '\(close)'?)" }
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: message)
        }
        return container
    }
}

extension String {
    /// `learning_rate` → `learningrate`, for suggesting `learningRate`.
    fileprivate func replacingUnderscores() -> String {
        split(separator: "_").joined().lowercased()
    }
}

extension KeyedDecodingContainer where Key == SettingKey {
    /// The setting's value, or `fallback` when it is absent.
    public func value<T: Decodable>(_ name: String, default fallback: T) throws -> T {
        try optional(name) ?? fallback
    }

    /// The setting's value, or `nil` when it is absent. A value of the wrong kind (`1.5` for a whole number) is
    /// a type mismatch at the setting's path: Foundation reports it as invalid JSON with no path at all.
    public func optional<T: Decodable>(_ name: String) throws -> T? {
        let key = SettingKey(stringValue: name)
        do {
            return try decodeIfPresent(T.self, forKey: key)
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            throw DecodingError.typeMismatch(T.self, .init(codingPath: codingPath + [key], debugDescription: context.debugDescription))
        } catch let error as DecodingError {
            throw error
        } catch {
            // Foundation's own number errors, which its decoder reports as "not valid JSON".
            throw DecodingError.typeMismatch(T.self, .init(codingPath: codingPath + [key], debugDescription: "\(error)"))
        }
    }

    /// A setting that may be written as a number or a text, read as text.
    public func text(_ name: String) throws -> String? {
        let key = SettingKey(stringValue: name)
        guard contains(key) else { return nil }
        if let text = try? decode(String.self, forKey: key) { return text }
        if let number = try? decode(Double.self, forKey: key) {
            return number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
        }
        return try decode(String.self, forKey: key)
    }
}

extension SimpleImputer {
    /// Decodes from a spec; every setting optional.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.settings("simpleImputer", allowed: ["strategy", "fillValue", "addIndicator", "columns"])
        self.init(
            strategy: try c.value("strategy", default: .mean), fillValue: try c.text("fillValue"),
            addIndicator: try c.value("addIndicator", default: false), columns: try c.optional("columns"))
    }
}

extension RareLabelGrouper {
    /// Decodes from a spec; every setting optional.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.settings("rareLabelGrouper", allowed: ["minimumFrequency", "label", "columns"])
        self.init(
            minimumFrequency: try c.value("minimumFrequency", default: 0.05), label: try c.value("label", default: "Rare"),
            columns: try c.optional("columns"))
    }
}

extension OneHotEncoder {
    /// Decodes from a spec; every setting optional.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.settings("oneHotEncoder", allowed: ["unknown", "columns"])
        self.init(unknown: try c.value("unknown", default: .error), columns: try c.optional("columns"))
    }
}

extension OrdinalEncoder {
    /// Decodes from a spec; every setting optional.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.settings("ordinalEncoder", allowed: ["unknown", "columns"])
        self.init(unknown: try c.value("unknown", default: .error), columns: try c.optional("columns"))
    }
}

extension StandardScaler {
    /// Decodes from a spec; every setting optional.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.settings("standardScaler", allowed: ["withMean", "withStd", "columns"])
        self.init(
            withMean: try c.value("withMean", default: true), withStd: try c.value("withStd", default: true),
            columns: try c.optional("columns"))
    }
}

extension MinMaxScaler {
    /// Decodes from a spec; every setting optional.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.settings("minMaxScaler", allowed: ["columns"])
        self.init(columns: try c.optional("columns"))
    }
}

extension RobustScaler {
    /// Decodes from a spec; every setting optional.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.settings("robustScaler", allowed: ["columns"])
        self.init(columns: try c.optional("columns"))
    }
}

extension OutlierCapper {
    /// Decodes from a spec; every setting optional.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.settings("outlierCapper", allowed: ["method", "fold", "lower", "upper", "columns"])
        self.init(
            method: try c.value("method", default: .iqr), fold: try c.value("fold", default: 1.5),
            lower: try c.value("lower", default: 0.05),
            upper: try c.value("upper", default: 0.95), columns: try c.optional("columns"))
    }
}

extension ColumnTransformer {
    /// Decodes from a spec.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.settings("columnTransformer", allowed: ["entries", "passthrough"])
        self.init(entries: try c.value("entries", default: []), passthrough: try c.value("passthrough", default: true))
    }
}
