import BatCatData
import BatCatML
import Testing

private struct TransformerFixture: Decodable {
    var x: [[Double?]]
    var impute_mean: [[Double]]
    var impute_median: [[Double]]
    var impute_most_frequent: [[Double]]
    var impute_constant: [[Double]]
    var filled: [[Double]]
    var standard: [[Double]]
    var minmax: [[Double]]
    var robust: [[Double]]
    var wine: [[Double]]
    var wine_standard: [[Double]]
    var wine_minmax: [[Double]]
    var wine_robust: [[Double]]
    var categories: [[String]]
    var onehot: [[Double]]
    var ordinal: [[Double]]
}

@Suite("Transformers against scikit-learn")
struct TransformerTests {
    private let fixture: TransformerFixture

    init() throws { fixture = try Fixtures.load("transformers.json", as: TransformerFixture.self) }

    private func frame(_ rows: [[Double?]]) -> DataFrame {
        let width = rows[0].count
        return try! DataFrame(columns: (0..<width).map { j in Column("c\(j)", doubles: rows.map { $0[j] }) })
    }

    private func expectMatches(_ frame: DataFrame, _ expected: [[Double]], _ label: String) throws {
        let m = try frame.matrix()
        #expect(m.columns == expected[0].count, "\(label): \(m.columns) columns, expected \(expected[0].count)")
        var worst = 0.0
        for row in 0..<m.rows { for j in 0..<m.columns { worst = max(worst, abs(m[row, j] - expected[row][j])) } }
        #expect(worst <= 1e-9, "\(label): largest difference \(worst)")
    }

    @Test("SimpleImputer's strategies and indicators give scikit-learn's values")
    func imputer() throws {
        let input = frame(fixture.x)
        try expectMatches(try SimpleImputer(strategy: .mean, addIndicator: true).fit(input).transform(input), fixture.impute_mean, "mean")
        try expectMatches(
            try SimpleImputer(strategy: .median, addIndicator: true).fit(input).transform(input), fixture.impute_median, "median")
        try expectMatches(
            try SimpleImputer(strategy: .mostFrequent, addIndicator: true).fit(input).transform(input), fixture.impute_most_frequent,
            "most frequent")
        try expectMatches(
            try SimpleImputer(strategy: .constant, fillValue: "-1").fit(input).transform(input), fixture.impute_constant, "constant")
    }

    @Test("SimpleImputer fills text: the most frequent (of equal counts, the first in sort order, as scikit-learn) or a constant")
    func textImputer() throws {
        let rows: [String?] = (0..<70).map { ["b", "a", nil, "b", "a", "c", nil][$0 % 7] }
        let input = try DataFrame(columns: [Column("t", strings: rows)])
        let frequent = try SimpleImputer(strategy: .mostFrequent, addIndicator: true).fit(input)
        #expect(frequent.fills["t"] == .text("a"))
        let filled = try frequent.transform(input)
        #expect((0..<70).map { filled["t"]!.cell($0) } == rows.map { .string($0 ?? "a") })
        #expect(filled["t"]?.missing == nil)
        #expect(filled["t_missing"].map { c in (0..<70).map { c.cell($0) } } == rows.map { .double($0 == nil ? 1 : 0) })
        let constant = try SimpleImputer(strategy: .constant, fillValue: "none").fit(input).transform(input)
        #expect((0..<70).map { constant["t"]!.cell($0) } == rows.map { .string($0 ?? "none") })
    }

    @Test("Scalers give scikit-learn's values on two datasets")
    func scalers() throws {
        for (data, standard, minmax, robust) in [
            (fixture.filled, fixture.standard, fixture.minmax, fixture.robust),
            (fixture.wine, fixture.wine_standard, fixture.wine_minmax, fixture.wine_robust),
        ] {
            let input = frame(data.map { $0.map { Optional($0) } })
            try expectMatches(try StandardScaler().fit(input).transform(input), standard, "standard")
            try expectMatches(try MinMaxScaler().fit(input).transform(input), minmax, "minmax")
            try expectMatches(try RobustScaler().fit(input).transform(input), robust, "robust")
        }
    }

    @Test("One-hot and ordinal encodings give scikit-learn's values")
    func encoders() throws {
        let input = try DataFrame(columns: [
            Column("colour", strings: fixture.categories.map { $0[0] }), Column("size", strings: fixture.categories.map { $0[1] }),
        ])
        let onehot = try OneHotEncoder().fit(input).transform(input)
        #expect(onehot.columnNames == ["colour=blue", "colour=green", "colour=red", "size=l", "size=m", "size=s"])
        try expectMatches(onehot, fixture.onehot, "one-hot")
        try expectMatches(try OrdinalEncoder().fit(input).transform(input), fixture.ordinal, "ordinal")
    }

    @Test("An unknown category is an error naming the column, or ignored when asked")
    func unknownCategories() throws {
        let train = try DataFrame(columns: [Column("colour", strings: ["red", "blue"])])
        let later = try DataFrame(columns: [Column("colour", strings: ["green"])])
        let error = #expect(throws: MLError.self) { try OneHotEncoder().fit(train).transform(later) }
        #expect(error?.code == .unknownCategory)
        #expect(error?.message == "column 'colour' has a category not seen in training (row 1)")
        #expect(try OneHotEncoder(unknown: .ignore).fit(train).transform(later).matrix().values == [0, 0])
        #expect(try OrdinalEncoder(unknown: .ignore).fit(train).transform(later).matrix().values == [-1])
        #expect(throws: MLError.self) { try OrdinalEncoder().fit(train).transform(later) }
    }

    @Test("Rare categories are grouped under one label, unseen ones too")
    func rareLabels() throws {
        let train = try DataFrame(columns: [Column("city", strings: Array(repeating: "a", count: 18) + ["b", "c"])])
        let fitted = try RareLabelGrouper(minimumFrequency: 0.1).fit(train)
        let out = try fitted.transform(try DataFrame(columns: [Column("city", strings: ["a", "b", "zzz", nil])]))
        #expect(out["city"].map { c in (0..<c.count).map { c.cell($0) } } == [.string("a"), .string("Rare"), .string("Rare"), .missing])
    }

    @Test("Outlier capping clips to Tukey's fences or to quantiles")
    func capping() throws {
        let input = try DataFrame(columns: [Column("v", doubles: [1, 2, 3, 4, 100])])
        let iqr = try OutlierCapper().fit(input).transform(input)
        // Q1 = 2, Q3 = 4, IQR = 2: fences at −1 and 7.
        #expect(iqr["v"]?.doubles == [1, 2, 3, 4, 7])
        let quantiles = try OutlierCapper(method: .quantiles, lower: 0.25, upper: 0.75).fit(input).transform(input)
        #expect(quantiles["v"]?.doubles == [2, 2, 3, 4, 4])
    }

    @Test("A constant column scales to zeros instead of dividing by zero")
    func constantColumn() throws {
        let input = try DataFrame(columns: [Column("k", doubles: [3, 3, 3])])
        #expect(try StandardScaler().fit(input).transform(input)["k"]?.doubles == [0, 0, 0])
        #expect(try MinMaxScaler().fit(input).transform(input)["k"]?.doubles == [0, 0, 0])
    }

    @Test("Scaling text is refused, naming the column")
    func textToScaler() throws {
        let input = try DataFrame(columns: [Column("name", strings: ["a", "b"])])
        let error = #expect(throws: MLError.self) { try StandardScaler(columns: ["name"]).fit(input) }
        #expect(error?.message == "StandardScaler needs numbers, but column 'name' holds text")
    }

    @Test("A column transformer applies each entry to its columns and passes the rest through")
    func columnTransformer() throws {
        let input = try DataFrame(columns: [
            Column("age", doubles: [20, 40, nil]), Column("city", strings: ["x", "y", "x"]), Column("id", ints: [1, 2, 3]),
        ])
        let transformer = ColumnTransformer(entries: [
            .init(name: "numbers", columns: ["age"], steps: [.simpleImputer(SimpleImputer()), .standardScaler(StandardScaler())]),
            .init(name: "text", columns: ["city"], steps: [.oneHotEncoder(OneHotEncoder())]),
        ])
        let out = try transformer.fit(input).transform(input)
        #expect(out.columnNames == ["age", "city=x", "city=y", "id"])
        #expect(out["age"]?.doubles == [-1.224744871391589, 1.224744871391589, 0])
    }
}

private struct MetricsFixture: Decodable {
    struct Regression: Decodable { var truth, predicted: [Double]; var mse, mae, r2, explained_variance: Double }
    struct Binary: Decodable {
        var truth, predicted: [Int]
        var score: [Double]
        var accuracy, precision, recall, f1, roc_auc, log_loss: Double
        var confusion: [[Int]]
    }
    struct Multiclass: Decodable {
        var truth, predicted: [Int]
        var probabilities: [[Double]]
        var accuracy, f1_macro, f1_weighted, precision_macro, recall_weighted, roc_auc_ovr_macro, log_loss: Double
        var confusion: [[Int]]
    }
    var regression: Regression
    var binary: Binary
    var multiclass: Multiclass
}

@Suite("Metrics against scikit-learn")
struct MetricsTests {
    private let fixture: MetricsFixture

    init() throws { fixture = try Fixtures.load("metrics.json", as: MetricsFixture.self) }

    @Test("Regression metrics")
    func regression() {
        let r = fixture.regression
        #expect(close(RegressionMetrics.meanSquaredError(r.truth, r.predicted), r.mse, 1e-12))
        #expect(close(RegressionMetrics.rootMeanSquaredError(r.truth, r.predicted), r.mse.squareRoot(), 1e-12))
        #expect(close(RegressionMetrics.meanAbsoluteError(r.truth, r.predicted), r.mae, 1e-12))
        #expect(close(RegressionMetrics.r2(r.truth, r.predicted), r.r2, 1e-12))
        #expect(close(RegressionMetrics.explainedVariance(r.truth, r.predicted), r.explained_variance, 1e-12))
    }

    @Test("Binary classification metrics")
    func binary() throws {
        let b = fixture.binary
        let truth = b.truth.map { ClassLabel.int($0) }
        let predicted = b.predicted.map { ClassLabel.int($0) }
        let classes: [ClassLabel] = [.int(0), .int(1)]
        #expect(close(ClassificationMetrics.accuracy(truth, predicted), b.accuracy, 1e-12))
        #expect(close(ClassificationMetrics.precision(truth, predicted, classes: classes, averaging: .binary), b.precision, 1e-12))
        #expect(close(ClassificationMetrics.recall(truth, predicted, classes: classes, averaging: .binary), b.recall, 1e-12))
        #expect(close(ClassificationMetrics.f1(truth, predicted, classes: classes, averaging: .binary), b.f1, 1e-12))
        let probabilities = b.score.map { [1 - $0, $0] }
        #expect(close(ClassificationMetrics.rocAUC(truth, probabilities: probabilities, classes: classes) ?? .nan, b.roc_auc, 1e-12))
        #expect(close(try #require(ClassificationMetrics.logLoss(truth, probabilities: probabilities, classes: classes)), b.log_loss, 1e-9))
        #expect(ClassificationMetrics.confusionMatrix(truth, predicted, classes: classes) == b.confusion)
    }

    @Test("Multiclass metrics: macro and weighted averages, one-vs-rest AUC, log loss")
    func multiclass() throws {
        let m = fixture.multiclass
        let truth = m.truth.map { ClassLabel.int($0) }
        let predicted = m.predicted.map { ClassLabel.int($0) }
        let classes: [ClassLabel] = [.int(0), .int(1), .int(2)]
        #expect(close(ClassificationMetrics.accuracy(truth, predicted), m.accuracy, 1e-12))
        #expect(close(ClassificationMetrics.f1(truth, predicted, classes: classes, averaging: .macro), m.f1_macro, 1e-12))
        #expect(close(ClassificationMetrics.f1(truth, predicted, classes: classes, averaging: .weighted), m.f1_weighted, 1e-12))
        #expect(close(ClassificationMetrics.precision(truth, predicted, classes: classes, averaging: .macro), m.precision_macro, 1e-12))
        #expect(close(ClassificationMetrics.recall(truth, predicted, classes: classes, averaging: .weighted), m.recall_weighted, 1e-12))
        #expect(
            close(ClassificationMetrics.rocAUC(truth, probabilities: m.probabilities, classes: classes) ?? .nan, m.roc_auc_ovr_macro, 1e-12)
        )
        #expect(close(try #require(ClassificationMetrics.logLoss(truth, probabilities: m.probabilities, classes: classes)), m.log_loss, 1e-9))
        #expect(ClassificationMetrics.confusionMatrix(truth, predicted, classes: classes) == m.confusion)
    }
}
