import Foundation
import Testing

@Suite("batcat demo")
struct DemoCommandTests {
    @Test("The demo runs the whole slice and exits 0 (transcript with paths, port and timings filtered)")
    func demo() throws {
        let work = try WorkFolder()
        let transcript = try Transcript.run(["demo", "--dir", work.url.path], in: work.url)
        let stdout = transcript.stdout.replacingOccurrences(of: work.url.path, with: "<dir>").replacing(
            #/127\.0\.0\.1:\d+/#, with: "127.0.0.1:<port>")
        #expect(transcript.status == 0, "\(transcript)")
        #expect(
            stdout == """
                BatCat demo in <dir>/demo

                1. Project   scaffolded demo/ (18 files): data/, model/, config.json, train.yaml, docs/
                2. Train     diabetes-bmi   linear regression, r2 0.4726, rmse 50.48 on the last 20 rows
                             breast-cancer  logistic regression, accuracy 0.9857, roc_auc 0.9975 on 140 held-out rows
                3. Register  diabetes-bmi version 1 and breast-cancer version 1, both promoted to production
                4. Serve     diabetes-bmi version 1 on http://127.0.0.1:<port>, API key in demo/keys.txt
                             POST /stream {"x": [[0.3]]} → 434.39022020156665
                             POST /batch {"x": [[0.3], [0.3]]} → [[434.39022020156665],[434.39022020156665]]
                5. Score     data/raw/biopsy.csv → data/result/biopsy.predictions.csv (699 rows, breast-cancer version 1)

                Everything is in <dir>/demo:
                  diabetes-bmi.yaml, breast-cancer.yaml   training specs
                  model/registry.sqlite                   the registry (versions, stages, audit trail)
                  model/artifacts/                        the artifacts, by digest
                  data/result/                            batch predictions and the run's manifest (_batcat/)
                  keys.txt                                the server's API key, stored as SHA-256

                """)
        #expect(transcript.stderr == "Demo finished in <t> s; the server stopped.\n")
        let predictions = try String(
            contentsOf: work.url.appendingPathComponent("demo/data/result/biopsy.predictions.csv"), encoding: .utf8)
        #expect(predictions.hasPrefix("id,prediction,probability_2,probability_4\n1000025,2,"))
    }
}
