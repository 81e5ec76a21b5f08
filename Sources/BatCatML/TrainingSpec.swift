import BatCatData
import Foundation

/// A training run, described as data (YAML or JSON): the data, the target and features, the split,
/// the preprocessing steps, the estimator, the metrics, the gate and the seed.
///
/// ```yaml
/// name: diabetes-bmi
/// data: diabetes.csv
/// target: target
/// features: [bmi]
/// split: {method: ordered, test: 20}
/// estimator: {type: linearRegression, solver: normal}
/// gate: ["r2 >= 0.2"]
/// ```
public struct TrainingSpec: Codable, Hashable, Sendable {
    /// The model's name.
    public var name: String
    /// The data: a CSV path, relative to the spec's folder.
    public var data: String
    /// The column to predict.
    public var target: String
    /// The feature columns; `nil` means every column except the target and ``exclude``.
    public var features: [String]?
    /// Columns never used as features (identifiers, timestamps).
    public var exclude: [String]?
    /// How rows are split into training and evaluation sets; `nil` evaluates on the training rows.
    public var split: SplitSpec?
    /// The preprocessing steps, in order.
    public var preprocessing: [Pipeline.NamedStep]
    /// The estimator.
    public var estimator: EstimatorChoice
    /// The metrics to report; `nil` reports every one that applies.
    public var metrics: [String]?
    /// Conditions the model must meet to be written, such as `r2 >= 0.2`.
    public var gate: [String]
    /// The seed of every random choice.
    public var seed: UInt64
    /// Where the artifact is written, relative to the spec's folder; `nil` means `<name>.model.json` beside the spec.
    public var output: String?
    /// Folds of cross-validation on the training rows, reported beside the metrics; `nil` for none.
    public var crossValidation: Int?
    /// Register the artifact in the project's registry after writing it.
    public var register: Registration?
    /// How the data file is read, when it is not a comma-separated file with the usual missing markers.
    public var read: ReadSpec?
    /// For a binary classifier, the class that binary precision, recall, F1 and ROC AUC score, as written in
    /// the data (`4`, `malignant`); default as scikit-learn: the label 1, `true`, or the greater label.
    public var positiveClass: String?
    /// Whether an iterative estimator that stops at its iteration limit fails the run (default: a warning).
    public var requireConvergence: Bool?
    /// The most classes a classifier's target may have (default 100), so that a numeric target is not
    /// taken for thousands of classes by mistake.
    public var maxClasses: Int?

    /// How the spec's CSV file is read: `read: {delimiter: ";", missing: ["NA", "-999"], types: {zip: string}}`.
    /// Every setting is optional; the defaults are those of `batcat describe` (commas, the markers empty, `NA`,
    /// `NaN`, `null` and `?`, types inferred).
    public struct ReadSpec: Codable, Hashable, Sendable {
        /// One character, or `tab`.
        public var delimiter: String?
        /// The texts that mean a missing value, instead of the default ones.
        public var missing: [String]?
        /// Column types by name (`double`, `int`, `bool`, `string` or `date`) instead of inferred ones.
        public var types: [String: String]?
        /// Whether text columns that hold ISO-8601 dates are read as dates.
        public var parseDates: Bool?
        /// Whether a header that names a column twice is read with the later ones renamed (default: an error).
        public var renameDuplicates: Bool?
        /// The longest a row may be, in MiB (default 16).
        public var maxRowMB: Int?

        /// Settings to read with.
        public init(delimiter: String? = nil, missing: [String]? = nil, types: [String: String]? = nil, parseDates: Bool? = nil) {
            self.delimiter = delimiter
            self.missing = missing
            self.types = types
            self.parseDates = parseDates
        }

        /// Decodes `{delimiter: …, missing: […], types: {…}, parseDates: …}`; an unknown key is an error.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.settings("read", allowed: ["delimiter", "missing", "types", "parseDates", "renameDuplicates", "maxRowMB"])
            self.init(
                delimiter: try c.optional("delimiter"), missing: try c.optional("missing"), types: try c.optional("types"),
                parseDates: try c.optional("parseDates"))
            renameDuplicates = try c.optional("renameDuplicates")
            maxRowMB = try c.optional("maxRowMB")
        }

        /// The reader options these settings give, or an error naming the setting that is wrong.
        public func options() throws(MLError) -> CSVOptions {
            var options = CSVOptions()
            if let delimiter {
                let character: Character? = delimiter == "tab" || delimiter == "\t" ? "\t" : delimiter.count == 1 ? delimiter.first : nil
                guard let character, (try? options.setDelimiter(character)) != nil else {
                    throw MLError(
                        .invalidSpec, "read.delimiter '\(delimiter)' cannot separate fields",
                        hints: ["write one ASCII character other than a quote or a line break, such as ';' or '|', or 'tab'"])
                }
            }
            if let missing { options.missingMarkers = missing }
            for (column, name) in types ?? [:] {
                guard let type = ColumnType(rawValue: name.lowercased()) else {
                    throw MLError(
                        .invalidSpec, "read.types gives column '\(column)' the type '\(name)', which is not a column type",
                        hints: ["the types are: \(ColumnType.allCases.map(\.rawValue).joined(separator: ", "))"])
                }
                options.types[column] = type
            }
            options.parseDates = parseDates ?? false
            options.renameDuplicates = renameDuplicates ?? false
            if let maxRowMB {
                guard maxRowMB >= 1 else {
                    throw MLError(.invalidSpec, "read.maxRowMB must be a whole number of MiB, 1 or more, not \(maxRowMB)")
                }
                options.maxRowBytes = maxRowMB << 20
            }
            return options
        }
    }

    /// Where `batcat train` registers the artifact: a model name, and optionally a stage to promote it to.
    public struct Registration: Codable, Hashable, Sendable {
        /// The registered model's name.
        public var model: String
        /// `staging` or `production`, to promote the new version at once; `nil` leaves it in `none`.
        public var stage: String?

        /// Decodes `{model: …, stage: …}`.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.settings("register", allowed: ["model", "stage"])
            guard let model: String = try c.optional("model") else {
                throw DecodingError.keyNotFound(
                    SettingKey(stringValue: "model"), .init(codingPath: decoder.codingPath, debugDescription: "register needs a model name")
                )
            }
            self.model = model
            self.stage = try c.optional("stage")
        }
    }

    /// How the rows are split.
    public struct SplitSpec: Codable, Hashable, Sendable {
        /// The method.
        public enum Method: String, Codable, Hashable, Sendable {
            /// Shuffled with the seed.
            case random
            /// The last rows are the test set (or the first, with `testAtStart`).
            case ordered
            /// Shuffled within each class, so both sets keep the class shares.
            case stratified
        }

        /// The method.
        public var method: Method
        /// The test set: a fraction in (0, 1), or a number of rows.
        public var test: Double
        /// For `ordered`: the test rows come first.
        public var testAtStart: Bool

        /// Creates a split.
        public init(method: Method, test: Double, testAtStart: Bool = false) {
            self.method = method
            self.test = test
            self.testAtStart = testAtStart
        }

        /// Decodes; `method` defaults to random and `test` to 0.2.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.settings("split", allowed: ["method", "test", "testAtStart"])
            let test: Double = try c.value("test", default: 0.2)
            guard test > 0, test < 1 || test == test.rounded(), test.isFinite else {
                throw DecodingError.dataCorruptedError(
                    forKey: SettingKey(stringValue: "test"), in: c,
                    debugDescription: "the test set must be a fraction between 0 and 1 (such as 0.2) or a whole number of rows (such as 100), not \(test)")
            }
            self.init(method: try c.value("method", default: .random), test: test, testAtStart: try c.value("testAtStart", default: false))
        }
    }

    /// Creates a spec.
    public init(
        name: String, data: String, target: String, features: [String]? = nil, exclude: [String]? = nil, split: SplitSpec? = nil,
        preprocessing: [Pipeline.NamedStep] = [], estimator: EstimatorChoice, metrics: [String]? = nil, gate: [String] = [],
        seed: UInt64 = 42, output: String? = nil, crossValidation: Int? = nil
    ) {
        self.name = name
        self.data = data
        self.target = target
        self.features = features
        self.exclude = exclude
        self.split = split
        self.preprocessing = preprocessing
        self.estimator = estimator
        self.metrics = metrics
        self.gate = gate
        self.seed = seed
        self.output = output
        self.crossValidation = crossValidation
    }

    /// Decodes a spec; unknown keys are errors, and `gate` may be one string or a list.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.settings(
            "the training spec",
            allowed: [
                "name", "data", "target", "features", "exclude", "split", "preprocessing", "estimator", "metrics", "gate", "seed",
                "output", "crossValidation", "register", "read", "positiveClass", "requireConvergence", "maxClasses",
            ])
        let key = { SettingKey(stringValue: $0) }
        guard let name: String = try c.optional("name") else {
            throw DecodingError.keyNotFound(key("name"), .init(codingPath: [], debugDescription: "the spec needs a name"))
        }
        guard let data: String = try c.optional("data") else {
            throw DecodingError.keyNotFound(key("data"), .init(codingPath: [], debugDescription: "the spec needs data: a CSV path"))
        }
        guard let target: String = try c.optional("target") else {
            throw DecodingError.keyNotFound(key("target"), .init(codingPath: [], debugDescription: "the spec needs a target column"))
        }
        guard let estimator: EstimatorChoice = try c.optional("estimator") else {
            throw DecodingError.keyNotFound(key("estimator"), .init(codingPath: [], debugDescription: "the spec needs an estimator"))
        }
        var gate: [String] = []
        if let single = try? c.decode(String.self, forKey: key("gate")) {
            gate = [single]
        } else {
            gate = try c.value("gate", default: [])
        }
        var steps: [Pipeline.NamedStep] = []
        if c.contains(key("preprocessing")) {
            var list = try c.nestedUnkeyedContainer(forKey: key("preprocessing"))
            var index = 0
            while !list.isAtEnd {
                let step = try list.decode(StepEntry.self)
                index += 1
                steps.append(Pipeline.NamedStep(step.name ?? "\(step.typeName)-\(index)", step.step))
            }
        }
        self.init(
            name: name, data: data, target: target, features: try c.optional("features"), exclude: try c.optional("exclude"),
            split: try c.optional("split"), preprocessing: steps, estimator: estimator, metrics: try c.optional("metrics"), gate: gate,
            seed: try c.value("seed", default: 42), output: try c.optional("output"), crossValidation: try c.optional("crossValidation"))
        register = try c.optional("register")
        read = try c.optional("read")
        positiveClass = try c.text("positiveClass")
        requireConvergence = try c.optional("requireConvergence")
        maxClasses = try c.optional("maxClasses")
        if let maxClasses, maxClasses < 2 {
            throw DecodingError.dataCorruptedError(
                forKey: key("maxClasses"), in: c, debugDescription: "maxClasses must be at least 2, not \(maxClasses)")
        }
    }

    /// One list entry of `preprocessing`: the step's settings with an optional `name` beside `type`.
    private struct StepEntry: Decodable {
        var name: String?
        var typeName: String
        var step: PreprocessingStep

        private enum Keys: String, CodingKey { case name, type }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            name = try container.decodeIfPresent(String.self, forKey: .name)
            typeName = try container.decode(String.self, forKey: .type)
            step = try PreprocessingStep(from: decoder)
        }
    }

    /// Encodes the spec (steps written with their names).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SettingKey.self)
        let key = { SettingKey(stringValue: $0) }
        try c.encode(name, forKey: key("name"))
        try c.encode(data, forKey: key("data"))
        try c.encode(target, forKey: key("target"))
        try c.encodeIfPresent(features, forKey: key("features"))
        try c.encodeIfPresent(exclude, forKey: key("exclude"))
        try c.encodeIfPresent(split, forKey: key("split"))
        try c.encode(preprocessing, forKey: key("preprocessing"))
        try c.encode(estimator, forKey: key("estimator"))
        try c.encodeIfPresent(metrics, forKey: key("metrics"))
        try c.encode(gate, forKey: key("gate"))
        try c.encode(seed, forKey: key("seed"))
        try c.encodeIfPresent(output, forKey: key("output"))
        try c.encodeIfPresent(crossValidation, forKey: key("crossValidation"))
        try c.encodeIfPresent(register, forKey: key("register"))
        try c.encodeIfPresent(read, forKey: key("read"))
        try c.encodeIfPresent(positiveClass, forKey: key("positiveClass"))
        try c.encodeIfPresent(requireConvergence, forKey: key("requireConvergence"))
        try c.encodeIfPresent(maxClasses, forKey: key("maxClasses"))
    }
}

/// One condition of a gate: `metric operator threshold`, such as `r2 >= 0.2` or `log_loss < 0.3`.
public struct GateCondition: Equatable, Sendable, CustomStringConvertible {
    /// The metric's name.
    public var metric: String
    /// The comparison: `>=`, `>`, `<=`, `<` or `==`.
    public var comparison: String
    /// The threshold.
    public var threshold: Double

    /// Parses `r2 >= 0.2`.
    public init(parsing text: String) throws(MLError) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard parts.count == 3, [">=", ">", "<=", "<", "=="].contains(parts[1]), let threshold = Double(parts[2]) else {
            throw MLError(
                .invalidSpec, "the gate condition '\(text)' is not of the form 'metric operator number'",
                hints: ["write it like \"r2 >= 0.2\" or \"log_loss < 0.3\", with spaces around the operator"])
        }
        metric = parts[0]
        comparison = parts[1]
        self.threshold = threshold
    }

    /// Whether `value` passes.
    public func passes(_ value: Double) -> Bool {
        switch comparison {
        case ">=": value >= threshold
        case ">": value > threshold
        case "<=": value <= threshold
        case "<": value < threshold
        default: value == threshold
        }
    }

    /// The condition as written.
    public var description: String { "\(metric) \(comparison) \(NumberFormattingML.plain(threshold))" }
}

enum NumberFormattingML {
    static func plain(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
