import BatCatCore
import BatCatData
import BatCatML
import Foundation

/// `GET /openapi.json`: the OpenAPI 3.1 description of every route, with the loaded model's features in
/// the examples. A test calls every path listed here and checks that each exists.
enum OpenAPI {
    /// Headerless CSV rows of the features, as a regular expression: numbers where the feature is a number, any
    /// field without a delimiter or quote where it is text (or boolean), an empty field where it is imputed.
    static func csvPattern(_ features: [FeatureSchema]) -> String {
        // Numbers as plain decimals, or with an exponent below 90 and at most ten whole digits, so that every
        // number the pattern admits is within the ±1e100 the server takes (the server reads other spellings too).
        let plain = "(0|[1-9][0-9]{0,15})(\\.[0-9]{1,15})?"
        let scientific = "(0|[1-9][0-9]{0,9})(\\.[0-9]{1,15})?[eE](-[0-9]{1,2}|\\+?[0-8]?[0-9])"
        let number = "-?(\(plain)|\(scientific))"
        let fields = features.map { feature -> String in
            switch feature.type {
            case .double, .int, .date: number
            case .bool: "(true|false|0|1)"
            case .string: "[^,\"\\r\\n]+"
            }
        }
        guard !fields.isEmpty else { return "^$" }
        let line = fields.joined(separator: ",")
        return "^(\(line))(\\n(\(line)))*\\n?$"
    }

    static func document(model: ServedModel?) -> String {
        let width = model?.features.count ?? 1
        let exampleRow = Array(repeating: 0.3, count: width)
        let featureNames = model?.features.map(\.name) ?? ["feature"]
        let error: [String: Any] = [
            "type": "object",
            "properties": ["error": ["type": "object", "properties": ["code": ["type": "string"], "message": ["type": "string"]]]],
        ]
        // Each feature's values as the server takes them: numbers (booleans for a boolean feature), text for a text
        // feature, and null only where the pipeline imputes the feature. Schemas are exact, so that what the schema
        // allows the server accepts and what it refuses the server refuses.
        let imputed = model?.imputedFeatures ?? []
        func value(_ feature: FeatureSchema) -> [String: Any] {
            var schema: [String: Any]
            switch feature.type {
            case .string: schema = ["type": "string"]
            case .bool: schema = ["anyOf": [["type": "boolean"], ["enum": [0, 1]]]]
            case .double, .int, .date: schema = ["type": "number", "minimum": -ServedModel.largestInput, "maximum": ServedModel.largestInput]
            }
            return imputed.contains(feature.name) ? ["anyOf": [schema, ["type": "null"]]] : schema
        }
        let features = model?.features ?? []
        let row: [String: Any] = [
            "type": "array", "prefixItems": features.map(value), "items": false, "minItems": features.count,
            "maxItems": features.count,
            "description": "Feature values in the model's feature order: \(featureNames.joined(separator: ", ")).",
        ]
        let record: [String: Any] = [
            "type": "object", "required": featureNames,
            "properties": Dictionary(uniqueKeysWithValues: features.map { ($0.name, value($0)) }),
        ]
        func list(_ item: [String: Any], single: Bool) -> [String: Any] {
            var schema: [String: Any] = ["type": "array", "items": item, "minItems": 1]
            if single { schema["maxItems"] = 1 }
            return schema
        }
        func input(single: Bool) -> [String: Any] {
            func alone(_ key: String, _ schema: [String: Any]) -> [String: Any] {
                ["type": "object", "required": [key], "properties": [key: schema], "additionalProperties": false]
            }
            let split: [String: Any] = [
                "type": "object", "required": ["columns", "data"],
                "properties": ["columns": ["const": featureNames], "data": list(row, single: single)],
            ]
            return [
                "oneOf": [
                    alone("x", list(row, single: single)),
                    alone("records", list(record, single: single)),
                    alone("dataframe_split", split),
                    alone("dataframe_records", list(record, single: single)),
                    alone("instances", ["oneOf": [list(row, single: single), list(record, single: single)]]),
                    alone("inputs", ["oneOf": [list(row, single: single), list(record, single: single)]]),
                ]
            ]
        }
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
        func prediction(_ summary: String, _ example: Any, _ response: [String: Any], single: Bool = false, csv: Bool = false)
            -> [String: Any]
        {
            var content: [String: Any] = ["application/json": ["schema": input(single: single), "example": example]]
            var answers: [String: Any] = ["application/json": ["schema": response]]
            if csv {
                content["text/csv"] = [
                    "schema": ["type": "string", "pattern": csvPattern(features)],
                    "example": exampleRow.map { String($0) }.joined(separator: ","),
                ]
                answers["text/csv"] = ["schema": ["type": "string"]]
            }
            var responses = errors(["400", "401", "413", "422", "429", "503"])
            responses["200"] = ["description": "Predictions", "content": answers]
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
                "Predict one row; returns one JSON value.", ["x": [exampleRow]], ["type": ["number", "string", "object"]], single: true),
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
