// The nearest-neighbour benchmark's BatCat side, for bench/neighbors.py: the first 100,000 rows of the file (its
// first 8 features) are the training rows, the next 10,000 the queries; fitting (building the k-d tree) and
// predicting the 5 nearest neighbours' mean are timed, reading is not. Prints the best times and a checksum of the
// predictions as JSON.
import BatCatData
import BatCatML
import Foundation

func neighborsBenchmark(_ arguments: [String]) throws {
    let runs = arguments.count > 1 ? Int(arguments[1]) ?? 3 : 3
    let frame = try CSVReader().read(path: arguments[0])
    let features = Array(frame.columnNames.filter { $0 != "target" }.prefix(8))
    let all = try frame.matrix(features)
    let y = try frame.column("target").doubles!
    let (trainRows, queryRows) = (100_000, 10_000)
    let train = Matrix(rows: trainRows, columns: features.count, values: Array(all.values[0..<(trainRows * features.count)]))
    let queries = Matrix(
        rows: queryRows, columns: features.count,
        values: Array(all.values[(trainRows * features.count)..<((trainRows + queryRows) * features.count)]))
    var fitSeconds = Double.infinity
    var predictSeconds = Double.infinity
    var predictions: [Double] = []
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        let model = try KNeighborsRegressor(nNeighbors: 5).fit(train, Array(y[0..<trainRows]))
        let fitted = DispatchTime.now().uptimeNanoseconds
        predictions = try model.predict(.matrix(queries)).values ?? []
        let done = DispatchTime.now().uptimeNanoseconds
        fitSeconds = min(fitSeconds, Double(fitted - start) / 1e9)
        predictSeconds = min(predictSeconds, Double(done - fitted) / 1e9)
    }
    print("{\"fit\": \(fitSeconds), \"predict\": \(predictSeconds), \"sum\": \(predictions.reduce(0, +)), \"first\": \(predictions.first ?? .nan)}")
}
