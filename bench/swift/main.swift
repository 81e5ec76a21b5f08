// Times BatCat's in-memory model fits for bench/fit.py: reads the CSV (not timed), builds the matrix
// (not timed), then fits each way several times and prints the best time of each as JSON.
// Usage: batcat-bench FILE.csv [runs]; batcat-bench neighbors FILE.csv [runs] times the nearest-neighbour search
// (see Neighbors.swift).
import BatCatData
import BatCatML
import Foundation

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: batcat-bench FILE.csv [runs] | batcat-bench neighbors FILE.csv [runs]\n".utf8))
    exit(64)
}
if arguments[1] == "neighbors" {
    try neighborsBenchmark(Array(arguments.dropFirst(2)))
    exit(0)
}
let runs = arguments.count > 2 ? Int(arguments[2]) ?? 3 : 3
let frame = try CSVReader().read(path: arguments[1])
let features = frame.columnNames.filter { $0 != "target" }
let x = try frame.matrix(features)
let y = try frame.column("target").doubles!

func best(_ body: () throws -> Void) rethrows -> Double {
    var fastest = Double.infinity
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return fastest
}

var normal = LinearRegression.Fitted(coefficients: [], intercept: 0)
let normalSeconds = try best { normal = try LinearRegression().fit(x, y) }
var descent = LinearRegression.Fitted(coefficients: [], intercept: 0)
let descentSeconds = try best {
    descent = try LinearRegression(solver: .gradientDescent, learningRate: 0.1, iterations: 100).fit(x, y)
}
let r2 = RegressionMetrics.r2(y, try normal.predict(x))
let r2Descent = RegressionMetrics.r2(y, try descent.predict(x))
print(
    "{\"normal\": \(normalSeconds), \"gradientDescent\": \(descentSeconds), \"r2\": \(r2), \"r2GradientDescent\": \(r2Descent), \"rows\": \(x.rows), \"features\": \(x.columns)}"
)
