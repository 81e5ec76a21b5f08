#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `read(2)`, named apart from the `read` methods that call it.
@inline(__always)
func posixRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

/// A source of bytes read in pieces: a file, a memory buffer, or an object body (S3, HTTP) adapted to it.
public protocol ByteStream {
    /// A name for messages: a path or URL.
    var name: String { get }
    /// Reads up to `buffer.count` bytes into `buffer`; returns how many, 0 at the end.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(DataError) -> Int
    /// The total size in bytes, when known in advance (a file); lets readers reserve memory once.
    var sizeHint: Int? { get }
}

extension ByteStream {
    /// Unknown by default.
    public var sizeHint: Int? { nil }
}

/// Reads a file through its descriptor, a block at a time.
public final class FileByteStream: ByteStream {
    /// The path, for messages.
    public let name: String
    private let descriptor: Int32
    /// The file's size when it was opened.
    public let sizeHint: Int?

    /// Opens `path` for reading.
    public init(path: String) throws(DataError) {
        self.name = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw DataError(.io, "cannot open '\(path)': \(reason)", hints: ["check the path and that the file is readable"])
        }
        var info = stat()
        if fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            close(descriptor)
            throw DataError(.io, "'\(path)' is a folder, not a file", hints: ["name a CSV file inside it"])
        }
        sizeHint = (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : nil
    }

    deinit { close(descriptor) }

    /// Reads the next bytes.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(DataError) -> Int {
        while true {
            let count = posixRead(descriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw DataError(.io, "cannot read '\(name)': \(String(cString: strerror(errno)))")
        }
    }
}

/// Bytes already in memory, read as a stream.
public struct MemoryByteStream: ByteStream {
    /// A name for messages.
    public let name: String
    private let bytes: [UInt8]
    private var offset = 0

    /// Streams `bytes`.
    public init(_ bytes: [UInt8], name: String = "<memory>") {
        self.bytes = bytes
        self.name = name
    }

    /// Streams the UTF-8 bytes of `text`.
    public init(text: String, name: String = "<memory>") {
        self.init(Array(text.utf8), name: name)
    }

    /// The number of bytes streamed in all.
    public var sizeHint: Int? { bytes.count }

    /// Copies the next bytes.
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(DataError) -> Int {
        let count = min(buffer.count, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}

/// The number of online processors (package: BatCatML hashes and fits on as many).
package func systemCoreCount() -> Int {
    Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
}
