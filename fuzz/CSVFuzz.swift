// libFuzzer entry point for the CSV reader, compiled together with BatCatData's sources by
// scripts/fuzz. Any crash, sanitizer report or broken invariant stops the fuzzer with the input.

/// Reads `bytes` with a tiny block (so records straddle blocks and the buffer grows), with one large
/// block, with two threads on small blocks, and in chunks of three rows. All must agree: the same frame,
/// or the same error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var small = CSVOptions()
    small.blockSize = 64
    small.threads = 1
    small.inferenceRows = 1
    var large = small
    large.blockSize = 1 << 20

    func outcome(_ options: CSVOptions) -> String {
        do {
            let frame = try CSVReader(options: options).read(stream: MemoryByteStream(bytes, name: "fuzz.csv"))
            var writer = CSVWriter(sink: MemoryByteSink())
            try writer.write(frame)
            return "ok \(frame.schema) \(writer.sink.text)"
        } catch {
            return "error \(error)"
        }
    }

    func chunked(_ options: CSVOptions) -> String {
        do {
            let reader = try CSVReader(options: options).chunks(stream: MemoryByteStream(bytes, name: "fuzz.csv"), rows: 3)
            var parts: [DataFrame] = []
            while let part = try reader.next() { parts.append(part) }
            let frame = parts.isEmpty ? DataFrame.empty(schema: reader.schema) : try DataFrame.concatenating(parts)
            var writer = CSVWriter(sink: MemoryByteSink())
            try writer.write(frame)
            return "ok \(frame.schema) \(writer.sink.text)"
        } catch {
            return "error \(error)"
        }
    }

    let a = outcome(small)
    let b = outcome(large)
    precondition(a == b, "block size changed the result:\n\(a)\n---\n\(b)")
    let c = chunked(large)
    if a.hasPrefix("ok") && c.hasPrefix("ok") {
        precondition(a == c, "chunked reading changed the result:\n\(a)\n---\n\(c)")
    }
    // Every input also goes through the parallel parse — cuts at line feeds outside quotes, read-ahead
    // between blocks, the re-parse when a stray quote fooled the cuts — which must agree with one thread.
    var parallel = small
    parallel.threads = 2
    parallel.blockSize = 256
    parallel.parallelMinimum = 16
    let d = outcome(parallel)
    precondition(a == d, "the parallel parse changed the result:\n\(a)\n---\n\(d)")
    if a.hasPrefix("ok"), let frame = try? CSVReader(options: large).read(stream: MemoryByteStream(bytes)) {
        _ = try? frame.describe()
    }
    return 0
}
