import Foundation
import Testing

@Suite("batcat describe and batcat head, end to end")
struct DescribeCommandTests {
    /// Four patients: an integer id, text, a number with a missing value and a boolean with one.
    private func patients() throws -> WorkFolder {
        let work = try WorkFolder()
        try work.write("p.csv", "id,city,bmi,smoker\n1,Oslo,22.5,true\n2,Bergen,NA,false\n3,Oslo,31.0,false\n4,Tromsø,27.25,\n")
        return work
    }

    @Test("describe prints a table: numbers get mean, std and quartiles; text and booleans unique and top")
    func table() throws {
        let work = try patients()
        let run = try Transcript.run(["describe", "p.csv"], in: work.url)
        #expect(run.status == 0, "\(run)")
        #expect(
            run.stdout == """
                column  type    count  missing     mean      std   min     25%    50%     75%  max  unique  top
                id      int         4        0      2.5  1.29099     1    1.75    2.5    3.25    4
                city    string      4        0                                                           3  Oslo
                bmi     double      3        1  26.9167  4.25979  22.5  24.875  27.25  29.125   31
                smoker  bool        3        1                                                           2  false

                """)
        #expect(run.stderr.hasPrefix("Described 4 rows × 4 columns of p.csv"))
    }

    @Test("describe --columns --format json prints the chosen columns, in the order given, as versioned JSON")
    func json() throws {
        let work = try patients()
        let run = try Transcript.run(["describe", "p.csv", "--columns", "bmi,city", "--format", "json", "-q"], in: work.url)
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr.isEmpty)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["version"] as? Int == 1)
        #expect(object["file"] as? String == "p.csv")
        #expect(object["rows"] as? Int == 4)
        let columns = try #require(object["columns"] as? [[String: Any]])
        #expect(columns.map { $0["name"] as? String } == ["bmi", "city"])
        #expect(columns[0]["mean"] as? Double == 80.75 / 3)
        #expect(columns[0]["q50"] as? Double == 27.25)
        #expect(columns[0]["missing"] as? Int == 1)
        #expect(columns[1]["top"] as? String == "Oslo")
        #expect(columns[1]["topCount"] as? Int == 2)
        #expect(columns[1]["mean"] == nil)
    }

    @Test("head -n prints the first rows as typed CSV (missing values empty), of the chosen columns")
    func head() throws {
        let work = try patients()
        let run = try Transcript.run(["head", "p.csv", "-n", "2"], in: work.url)
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout == "id,city,bmi,smoker\n1,Oslo,22.5,true\n2,Bergen,,false\n")
        let chosen = try Transcript.run(["head", "p.csv", "-n", "3", "--columns", "city,bmi"], in: work.url)
        #expect(chosen.stdout == "city,bmi\nOslo,22.5\nBergen,\nOslo,31.0\n")
        let bad = try Transcript.run(["head", "p.csv", "-n", "0"], in: work.url)
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("error: -n must be at least 1, not 0."))
    }

    @Test("A file that reads as one column with semicolons in its name gets a warning naming the delimiter to pass")
    func otherDelimiter() throws {
        let work = try WorkFolder()
        try work.write("semi.csv", "a;b\n1;2\n")
        for command in ["describe", "head"] {
            let run = try Transcript.run([command, "semi.csv", "-q"], in: work.url)
            #expect(run.status == 0, "\(run)")
            #expect(
                run.stderr.contains("warning batcat.\(command): the file has a single column, whose name holds ';': pass --delimiter ';'"),
                "\(run)")
        }
        let right = try Transcript.run(["describe", "semi.csv", "--delimiter", ";", "-q"], in: work.url)
        #expect(right.stderr.isEmpty, "\(right)")
        let summary = try Transcript.run(["describe", "semi.csv", "--delimiter", ";"], in: work.url)
        #expect(summary.stderr.hasPrefix("Described 1 row × 2 columns of semi.csv"), "\(summary)")
        #expect(right.stdout.contains("b       int"))
    }

    @Test("A row of the wrong length stops describe with the file and line; --on-bad-lines skip reports how many were skipped")
    func badLines() throws {
        let work = try WorkFolder()
        try work.write("bad.csv", "a,b\n1,2\n3\n5,6\n7,8,9\n")
        let stopped = try Transcript.run(["describe", "bad.csv"], in: work.url)
        #expect(stopped.status == 1)
        #expect(stopped.stdout.isEmpty)
        #expect(stopped.stderr.contains("error: bad.csv:3: expected 2 fields, found 1"))
        #expect(stopped.stderr.contains("--on-bad-lines skip"))
        let skipped = try Transcript.run(["describe", "bad.csv", "--on-bad-lines", "skip", "-q"], in: work.url)
        #expect(skipped.status == 0, "\(skipped)")
        #expect(skipped.stderr == "skipped 2 rows of the wrong length (lines 3, 5)\n")
        #expect(skipped.stdout.contains("a       int       2        0     3"))
    }

    @Test("A bad value, an unknown column and a missing file get errors that say what to do")
    func errors() throws {
        let work = try patients()
        try work.write("t.csv", "a,b\n1,2\n3,x\n")
        let typed = try Transcript.run(["describe", "t.csv", "--type", "b=double"], in: work.url)
        #expect(typed.status == 1)
        #expect(typed.stderr.contains("error: t.csv:3:3: the value 'x' in column 'b' is not a number, but the column was read as double"))
        #expect(typed.stderr.contains("hint: the column's type was given as double"))
        let unknown = try Transcript.run(["describe", "p.csv", "--columns", "bmi,nope"], in: work.url)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("error: p.csv has no column named 'nope'"))
        #expect(unknown.stderr.contains("hint: the columns are: id, city, bmi, smoker"))
        let missing = try Transcript.run(["describe", "missing.csv"], in: work.url)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("error: cannot open 'missing.csv'"))
    }
}

@Suite("Locations that are URLs, end to end")
struct URLLocationTests {
    @Test("A URL this build cannot open is refused by every command, and never becomes a local folder named 's3:'")
    func refused() throws {
        let work = try WorkFolder()
        try work.trainDiabetesModel()
        try work.write("s3spec.yaml", "name: s\ndata: s3://bucket/d.csv\ntarget: target\nestimator: {type: linearRegression}\n")
        let runs: [[String]] = [
            ["score", "--artifact", "model.json", "--input", "d/diabetes.csv", "--output", "s3://bucket/out"],
            ["score", "--artifact", "model.json", "--input", "s3://bucket/in", "--output", "out"],
            ["train", "s3spec.yaml"],
            ["describe", "s3://bucket/d.csv"],
            ["head", "s3://bucket/d.csv"],
            ["predict", "model.json", "d/diabetes.csv", "-o", "s3://bucket/p.csv"],
            ["evaluate", "model.json", "s3://bucket/d.csv"],
            ["inspect", "s3://bucket/model.json"],
            ["score", "--artifact", "s3://bucket/model.json", "--input", "d/diabetes.csv", "--output", "out"],
            ["serve", "--artifact", "model.json", "--no-auth", "--port", "0", "--capture-dir", "s3://bucket/captures"],
        ]
        for arguments in runs {
            let run = try Transcript.run(arguments, in: work.url)
            #expect(run.status == 1, "\(arguments): \(run)")
            #expect(run.stderr.contains("error: this build of BatCat cannot open 's3://' locations (s3://bucket/"), "\(arguments): \(run)")
            #expect(run.stderr.contains("S3 support is not part of this version"))
        }
        #expect(!FileManager.default.fileExists(atPath: work.url.appendingPathComponent("s3:").path))
        // file:// names a local path.
        let local = try Transcript.run(["describe", "file://" + work.url.appendingPathComponent("d/diabetes.csv").path, "-q"], in: work.url)
        #expect(local.status == 0, "\(local)")
        #expect(local.stdout.contains("bmi"))
    }
}
