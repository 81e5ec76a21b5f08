/// The type of a column's values.
public enum ColumnType: String, Codable, Hashable, Sendable, CaseIterable {
    /// 64-bit floating point.
    case double
    /// 64-bit signed integer.
    case int
    /// `true` / `false`.
    case bool
    /// UTF-8 text, dictionary-encoded when few values repeat often.
    case string
    /// An instant, from ISO-8601 dates or date-times, stored as seconds since 1970-01-01T00:00:00Z.
    case date

    /// Whether values of this type are numbers (`double`, `int`).
    public var isNumeric: Bool { self == .double || self == .int }
}

/// A column's name, type and whether it may hold missing values.
public struct Field: Codable, Hashable, Sendable {
    /// The column's name.
    public var name: String
    /// The values' type.
    public var type: ColumnType
    /// Whether the column may hold missing values.
    public var nullable: Bool

    /// Creates a field.
    public init(_ name: String, _ type: ColumnType, nullable: Bool = true) {
        self.name = name
        self.type = type
        self.nullable = nullable
    }
}

/// The names, types and nullability of a frame's columns, in order.
///
/// ## Topics
/// - ``fields``
/// - ``names``
/// - ``subscript(_:)``
public struct Schema: Codable, Hashable, Sendable {
    /// The fields, in column order.
    public var fields: [Field]

    /// Creates a schema.
    public init(_ fields: [Field]) {
        self.fields = fields
    }

    /// The column names, in order.
    public var names: [String] { fields.map(\.name) }

    /// The field named `name`, if any.
    public subscript(_ name: String) -> Field? {
        fields.first { $0.name == name }
    }
}
