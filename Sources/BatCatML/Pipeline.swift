import BatCatData

/// One preprocessing step of a pipeline, written in specs and artifacts as an object with a `type`
/// (`simpleImputer`, `standardScaler`, …) and the step's settings beside it.
public indirect enum PreprocessingStep: Codable, Hashable, Sendable {
    case simpleImputer(SimpleImputer)
    case rareLabelGrouper(RareLabelGrouper)
    case oneHotEncoder(OneHotEncoder)
    case ordinalEncoder(OrdinalEncoder)
    case standardScaler(StandardScaler)
    case minMaxScaler(MinMaxScaler)
    case robustScaler(RobustScaler)
    case outlierCapper(OutlierCapper)
    case columnTransformer(ColumnTransformer)

    static let typeNames = [
        "simpleImputer", "rareLabelGrouper", "oneHotEncoder", "ordinalEncoder", "standardScaler", "minMaxScaler",
        "robustScaler", "outlierCapper", "columnTransformer",
    ]

    private enum TypeKey: String, CodingKey { case type }

    /// Decodes `{"type": "standardScaler", …settings}`.
    public init(from decoder: any Decoder) throws {
        let type = try decoder.container(keyedBy: TypeKey.self).decode(String.self, forKey: .type)
        switch type {
        case "simpleImputer": self = .simpleImputer(try SimpleImputer(from: decoder))
        case "rareLabelGrouper": self = .rareLabelGrouper(try RareLabelGrouper(from: decoder))
        case "oneHotEncoder": self = .oneHotEncoder(try OneHotEncoder(from: decoder))
        case "ordinalEncoder": self = .ordinalEncoder(try OrdinalEncoder(from: decoder))
        case "standardScaler": self = .standardScaler(try StandardScaler(from: decoder))
        case "minMaxScaler": self = .minMaxScaler(try MinMaxScaler(from: decoder))
        case "robustScaler": self = .robustScaler(try RobustScaler(from: decoder))
        case "outlierCapper": self = .outlierCapper(try OutlierCapper(from: decoder))
        case "columnTransformer": self = .columnTransformer(try ColumnTransformer(from: decoder))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: TypeKey.type, in: try decoder.container(keyedBy: TypeKey.self),
                debugDescription: "unknown step type '\(type)'\(Suggestion.nearest(to: type, among: PreprocessingStep.typeNames).map { " (did you mean '\($0)'?)" } ?? ""); the types are: \(PreprocessingStep.typeNames.joined(separator: ", "))")
        }
    }

    /// Encodes the settings with a `type` beside them.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: TypeKey.self)
        switch self {
        case .simpleImputer(let step): try container.encode("simpleImputer", forKey: .type); try step.encode(to: encoder)
        case .rareLabelGrouper(let step): try container.encode("rareLabelGrouper", forKey: .type); try step.encode(to: encoder)
        case .oneHotEncoder(let step): try container.encode("oneHotEncoder", forKey: .type); try step.encode(to: encoder)
        case .ordinalEncoder(let step): try container.encode("ordinalEncoder", forKey: .type); try step.encode(to: encoder)
        case .standardScaler(let step): try container.encode("standardScaler", forKey: .type); try step.encode(to: encoder)
        case .minMaxScaler(let step): try container.encode("minMaxScaler", forKey: .type); try step.encode(to: encoder)
        case .robustScaler(let step): try container.encode("robustScaler", forKey: .type); try step.encode(to: encoder)
        case .outlierCapper(let step): try container.encode("outlierCapper", forKey: .type); try step.encode(to: encoder)
        case .columnTransformer(let step): try container.encode("columnTransformer", forKey: .type); try step.encode(to: encoder)
        }
    }

    /// Fits the step.
    public func fit(_ frame: DataFrame) throws(MLError) -> FittedStep {
        switch self {
        case .simpleImputer(let step): .simpleImputer(try step.fit(frame))
        case .rareLabelGrouper(let step): .rareLabelGrouper(try step.fit(frame))
        case .oneHotEncoder(let step): .oneHotEncoder(try step.fit(frame))
        case .ordinalEncoder(let step): .ordinalEncoder(try step.fit(frame))
        case .standardScaler(let step): .scaler(try step.fit(frame))
        case .minMaxScaler(let step): .scaler(try step.fit(frame))
        case .robustScaler(let step): .scaler(try step.fit(frame))
        case .outlierCapper(let step): .outlierCapper(try step.fit(frame))
        case .columnTransformer(let step): .columnTransformer(try step.fit(frame))
        }
    }
}

/// A fitted preprocessing step, as stored in artifacts.
public indirect enum FittedStep: Codable, Equatable, Sendable {
    case simpleImputer(SimpleImputer.Fitted)
    case rareLabelGrouper(RareLabelGrouper.Fitted)
    case oneHotEncoder(OneHotEncoder.Fitted)
    case ordinalEncoder(OrdinalEncoder.Fitted)
    case scaler(FittedScaler)
    case outlierCapper(OutlierCapper.Fitted)
    case columnTransformer(ColumnTransformer.Fitted)

    private enum TypeKey: String, CodingKey { case type }

    /// Decodes `{"type": …, …}`.
    public init(from decoder: any Decoder) throws {
        let type = try decoder.container(keyedBy: TypeKey.self).decode(String.self, forKey: .type)
        switch type {
        case "simpleImputer": self = .simpleImputer(try .init(from: decoder))
        case "rareLabelGrouper": self = .rareLabelGrouper(try .init(from: decoder))
        case "oneHotEncoder": self = .oneHotEncoder(try .init(from: decoder))
        case "ordinalEncoder": self = .ordinalEncoder(try .init(from: decoder))
        case "scaler": self = .scaler(try .init(from: decoder))
        case "outlierCapper": self = .outlierCapper(try .init(from: decoder))
        case "columnTransformer": self = .columnTransformer(try .init(from: decoder))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: TypeKey.type, in: try decoder.container(keyedBy: TypeKey.self),
                debugDescription: "unknown fitted step type '\(type)'")
        }
    }

    /// Encodes with a `type`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: TypeKey.self)
        switch self {
        case .simpleImputer(let step): try container.encode("simpleImputer", forKey: .type); try step.encode(to: encoder)
        case .rareLabelGrouper(let step): try container.encode("rareLabelGrouper", forKey: .type); try step.encode(to: encoder)
        case .oneHotEncoder(let step): try container.encode("oneHotEncoder", forKey: .type); try step.encode(to: encoder)
        case .ordinalEncoder(let step): try container.encode("ordinalEncoder", forKey: .type); try step.encode(to: encoder)
        case .scaler(let step): try container.encode("scaler", forKey: .type); try step.encode(to: encoder)
        case .outlierCapper(let step): try container.encode("outlierCapper", forKey: .type); try step.encode(to: encoder)
        case .columnTransformer(let step): try container.encode("columnTransformer", forKey: .type); try step.encode(to: encoder)
        }
    }

    /// Applies the step.
    public func transform(_ frame: DataFrame) throws(MLError) -> DataFrame {
        switch self {
        case .simpleImputer(let step): try step.transform(frame)
        case .rareLabelGrouper(let step): try step.transform(frame)
        case .oneHotEncoder(let step): try step.transform(frame)
        case .ordinalEncoder(let step): try step.transform(frame)
        case .scaler(let step): try step.transform(frame)
        case .outlierCapper(let step): try step.transform(frame)
        case .columnTransformer(let step): try step.transform(frame)
        }
    }
}

/// Applies different steps to different columns, as scikit-learn's `ColumnTransformer`: each entry's
/// step sees only its columns; the other columns pass through (or are dropped).
public struct ColumnTransformer: Transformer {
    /// One entry: a name, the columns, and the steps applied to them in order.
    public struct Entry: Codable, Hashable, Sendable {
        /// A name for messages.
        public var name: String
        /// The columns this entry takes.
        public var columns: [String]
        /// The steps applied to them.
        public var steps: [PreprocessingStep]

        /// Creates an entry.
        public init(name: String, columns: [String], steps: [PreprocessingStep]) {
            self.name = name
            self.columns = columns
            self.steps = steps
        }
    }

    /// The entries, applied in order.
    public var entries: [Entry]
    /// Whether columns no entry takes are kept.
    public var passthrough = true

    /// Creates a column transformer.
    public init(entries: [Entry], passthrough: Bool = true) {
        self.entries = entries
        self.passthrough = passthrough
    }

    /// The fitted entries.
    public struct Fitted: FittedTransformer {
        /// Each entry's columns and fitted steps.
        public var entries: [FittedEntry]
        /// Whether other columns are kept.
        public var passthrough: Bool

        /// One fitted entry.
        public struct FittedEntry: Codable, Equatable, Sendable {
            /// The entry's name.
            public var name: String
            /// Its input columns.
            public var columns: [String]
            /// Its fitted steps.
            public var steps: [FittedStep]
        }

        /// Applies every entry to its columns and joins the results side by side.
        public func transform(_ frame: DataFrame) throws(MLError) -> DataFrame {
            var out: [Column] = []
            var taken = Set<String>()
            for entry in entries {
                var part = try ColumnTransformer.select(frame, entry.columns, entry: entry.name)
                for step in entry.steps { part = try step.transform(part) }
                out += part.columns
                taken.formUnion(entry.columns)
            }
            if passthrough { out += frame.columns.filter { !taken.contains($0.name) } }
            do {
                return try DataFrame(columns: out)
            } catch {
                throw MLError(.invalidData, "the column transformer's entries produce clashing columns: \(error.message)")
            }
        }
    }

    /// Fits each entry on its columns.
    public func fit(_ frame: DataFrame) throws(MLError) -> Fitted {
        var fitted: [Fitted.FittedEntry] = []
        for entry in entries {
            var part = try ColumnTransformer.select(frame, entry.columns, entry: entry.name)
            var steps: [FittedStep] = []
            for step in entry.steps {
                let fittedStep = try step.fit(part)
                part = try fittedStep.transform(part)
                steps.append(fittedStep)
            }
            fitted.append(.init(name: entry.name, columns: entry.columns, steps: steps))
        }
        return Fitted(entries: fitted, passthrough: passthrough)
    }

    static func select(_ frame: DataFrame, _ columns: [String], entry: String) throws(MLError) -> DataFrame {
        do {
            return try frame.selecting(columns)
        } catch {
            throw MLError(.schemaMismatch, "column transformer entry '\(entry)': \(error.message)", hints: error.hints)
        }
    }
}

/// Whether an iterative estimator's optimiser converged, and where it stopped.
public struct Convergence: Sendable, Equatable, Encodable {
    /// Whether it met its tolerance (or, for L-BFGS, stopped making progress) before the iteration limit.
    public var converged: Bool
    /// The iterations it ran.
    public var iterations: Int
    /// What was left of the stopping measure, and what the measure is.
    public var remaining: Double?
    /// The stopping measure, in words.
    public var measure: String

    /// One sentence for a warning or an error: `logisticRegression (lbfgs) did not converge in 100 iterations: …`.
    public func summary(estimator: String) -> String {
        var text = "\(estimator) did not converge in \(iterations) iteration\(iterations == 1 ? "" : "s")"
        if let remaining { text += ": \(measure) is still \(remaining)" }
        return text
    }
}
