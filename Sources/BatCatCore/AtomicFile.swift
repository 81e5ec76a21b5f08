import Foundation

/// Writes files so that a reader sees either the old file or the whole new one, never a part:
/// the bytes go to a temporary file in the same folder, are flushed to disk, then renamed into place.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically, creating the folder when missing.
    public static func write(_ bytes: [UInt8], to path: String) throws(CoreError) {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw CoreError(.fileUnwritable, "cannot create the folder '\(folder.path)': \(error.localizedDescription)")
        }
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CoreError(
                .fileUnwritable, "cannot write in '\(folder.path)': \(String(cString: strerror(errno)))",
                hints: ["check that the folder is writable"])
        }
        var offset = 0
        let failed: Bool = bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let written = Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return true
                }
                offset += written
            }
            return fsync(descriptor) != 0
        }
        let reason = String(cString: strerror(errno))
        close(descriptor)
        guard !failed, rename(temporary.path, path) == 0 else {
            unlink(temporary.path)
            throw CoreError(
                .fileUnwritable, "cannot write '\(path)': \(failed ? reason : String(cString: strerror(errno)))",
                hints: ["check the free disk space"])
        }
    }
}
