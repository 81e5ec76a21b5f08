import BatCatCore
import Foundation

/// `GET /openapi.json`: the OpenAPI 3.1 description of every route, with the loaded model's features in
/// the examples. A test calls every path listed here and checks that each exists.
enum OpenAPI {
    static func document(model: ServedModel?) -> String {
        let width = model?.features.count ?? 1
        let exampleRow = Array(repeating: 0.3, count: width)
        let featureNames = model?.features.map(\.name) ?? ["feature"]
        let error: [String: Any] = [
            "type": "object",
            "properties": ["error": ["type": "object", "properties": ["code": ["type": "string"], "message": ["type": "string"]]]],
        ]
        let rows: [String: Any] = [
            "type": "object", "required": ["x"],
            "properties": ["x": ["type": "array", "items": ["type": "array", "items": ["type": ["number", "string", "null"]]]]],
            "description": "Rows of feature values in the model's feature order: \(featureNames.joined(separator: ", ")).",
        ]
        let anyInput: [String: Any] = [
            "oneOf": [
                rows,
                ["type": "object", "required": ["records"], "properties": ["records": ["type": "array", "items": ["type": "object"]]]],
                ["type": "object", "required": ["dataframe_split"], "properties": ["dataframe_split": ["type": "object"]]],
                ["type": "object", "required": ["dataframe_records"], "properties": ["dataframe_records": ["type": "array"]]],
                ["type": "object", "required": ["instances"], "properties": ["instances": ["type": "array"]]],
                ["type": "object", "required": ["inputs"], "properties": ["inputs": ["type": "array"]]],
            ]
        ]
        func errors(_ codes: [String]) -> [String: Any] {
            Dictionary(
                uniqueKeysWithValues: codes.map {
                    ($0, ["description": "An error", "content": ["application/json": ["schema": error]]] as [String: Any])
                })
        }
        let key: [[String: Any]] = [["apiKey": []]]
        let proba: [String: Any] = [
            "name": "proba", "in": "query", "schema": ["type": "boolean"], "description": "Add class probabilities (classifiers).",
        ]
        func prediction(_ summary: String, _ example: Any, _ response: [String: Any], csv: Bool = false) -> [String: Any] {
            var content: [String: Any] = ["application/json": ["schema": anyInput, "example": example]]
            if csv {
                content["text/csv"] = ["schema": ["type": "string"], "example": exampleRow.map { String($0) }.joined(separator: ",")]
            }
            var responses = errors(["400", "401", "413", "422", "429", "503"])
            responses["200"] = ["description": "Predictions", "content": ["application/json": ["schema": response]]]
            return [
                "post": [
                    "summary": summary, "security": key, "parameters": [proba], "requestBody": ["required": true, "content": content],
                    "responses": responses,
                ]
            ]
        }
        func plain(_ summary: String, _ type: String = "application/json") -> [String: Any] {
            var responses = errors(["503"])
            responses["200"] = [
                "description": summary, "content": [type: ["schema": ["type": type == "application/json" ? "object" : "string"]]],
            ]
            return ["get": ["summary": summary, "responses": responses]]
        }
        let paths: [String: Any] = [
            "/stream": prediction(
                "Predict one row; returns one JSON value.", ["x": [exampleRow]], ["type": ["number", "string", "object"]]),
            "/batch": prediction(
                "Predict many rows; returns one list per row.", ["x": [exampleRow, exampleRow]], ["type": ["array", "object"]]),
            "/invocations": prediction(
                "SageMaker's inference route: JSON in any accepted format, or headerless CSV rows.", ["instances": [exampleRow]],
                ["type": "object"],
                csv: true),
            "/ping": plain("SageMaker's health check: 200 once a model is loaded."),
            "/health": plain("Liveness: 200 while the process runs."),
            "/ready": plain("Readiness: 200 once a model is loaded."),
            "/metrics": plain("Prometheus metrics.", "text/plain"),
            "/openapi.json": plain("This document."),
            "/v1/models": plain("The loaded model: name, version, digest, features."),
        ]
        let document: [String: Any] = [
            "openapi": "3.1.0",
            "info": [
                "title": "BatCat prediction server", "version": BatCatVersion.current,
                "description": "Serves \(model?.name ?? "a model") version \(model?.versionLabel ?? "-").",
            ],
            "paths": paths,
            "components": ["securitySchemes": ["apiKey": ["type": "apiKey", "in": "header", "name": "x-api-key"]]],
        ]
        let data =
            (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
