#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes numbers the way BatCat's CSV writer does.
public enum NumberFormatting {
    /// The shortest text that reads back as exactly `value` (Swift's own algorithm).
    @inline(__always)
    public static func shortest(_ value: Double) -> String {
        value.description
    }
}

/// Parses numbers from raw bytes without making strings.
///
/// Hand-written because the standard library's `Double(_:)` needs a `String` and goes through
/// `strtod` (about 100 ns a field); the CSV reader parses tens of millions of fields. The fast path is
/// Clinger's: a decimal significand of at most 2^53 with a power of ten up to 22 converts exactly with
/// one multiplication or division, so results are correctly rounded. Everything else falls back to `strtod`.
public enum NumberParsing {
    /// 10^exponent for 0...22, all exact in a double. A switch, not a stored table, so the hot loop
    /// does not pay a lazy global's initialisation check on every call.
    @inline(__always)
    static func powerOfTen(_ exponent: Int) -> Double {
        switch exponent {
        case 0: 1e0
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        case 15: 1e15
        case 16: 1e16
        case 17: 1e17
        case 18: 1e18
        case 19: 1e19
        case 20: 1e20
        case 21: 1e21
        case 22: 1e22
        default: 1
        }
    }

    /// 10^exponent for 0...8.
    @inline(__always)
    static func integerPowerOfTen(_ exponent: Int) -> UInt64 {
        switch exponent {
        case 0: 1
        case 1: 10
        case 2: 100
        case 3: 1000
        case 4: 10000
        case 5: 100_000
        case 6: 1_000_000
        case 7: 10_000_000
        default: 100_000_000
        }
    }

    /// Parses an integer in `[start, end)`: optional sign and decimal digits; `nil` otherwise or on overflow.
    @inline(__always)
    public static func int(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Int? {
        var p = start
        guard p < end else { return nil }
        var negative = false
        if p.pointee == UInt8(ascii: "-") || p.pointee == UInt8(ascii: "+") {
            negative = p.pointee == UInt8(ascii: "-")
            p += 1
            guard p < end else { return nil }
        }
        var value = 0
        while p < end {
            let digit = Int(p.pointee) &- 48
            guard digit >= 0 && digit <= 9 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = negative ? times10.subtractingReportingOverflow(digit) : times10.addingReportingOverflow(digit)
            if o1 || o2 { return nil }
            value = sum
            p += 1
        }
        return value
    }

    /// Parses the integer that starts at `start` (an optional sign and up to 18 digits, so it cannot
    /// overflow) and returns it with the position just after it; `nil` when no digit starts there or
    /// there are more digits (the caller's general path takes those).
    @inline(__always)
    public static func scanInt(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> (Int, UnsafePointer<UInt8>)? {
        var p = start
        guard p < end else { return nil }
        let negative = skipSign(&p)
        var magnitude: UInt64 = 0
        let digits = digitRun(&p, end, &magnitude)
        guard digits > 0 && digits <= 18 else { return nil }
        let value = Int(magnitude)
        return (negative ? -value : value, p)
    }

    /// Parses a decimal floating-point number in `[start, end)`, including `inf` and `nan` spellings;
    /// `nil` when the bytes are not a number.
    @inline(__always)
    public static func double(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Double? {
        if let (value, stop) = scanDouble(start, end) {
            return stop == end ? value : nil
        }
        return slow(start, end)
    }

    /// Parses the decimal number that starts at `start` and returns it with the position just after it;
    /// `nil` when no digit starts there. Used by the CSV parser to read a number and find the field's
    /// end in one pass.
    ///
    /// Plain numbers (sign, digits, point, digits; at most 19 digits, no exponent) take a path that
    /// reads eight bytes at a time; everything else goes through ``scanDoubleBytewise(_:_:)``.
    @inline(__always)
    public static func scanDouble(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> (Double, UnsafePointer<UInt8>)? {
        var p = start
        guard p < end else { return nil }
        let negative = skipSign(&p)
        var significand: UInt64 = 0
        let integerDigits = digitRun(&p, end, &significand)
        var fractionDigits = 0
        if p < end && p.pointee == UInt8(ascii: ".") {
            p += 1
            fractionDigits = digitRun(&p, end, &significand)
        }
        let digits = integerDigits + fractionDigits
        guard digits > 0 else { return nil }
        if digits > 19 || (p < end && p.pointee | 0x20 == UInt8(ascii: "e")) { return scanDoubleBytewise(start, end) }
        if significand > (1 << 53) || fractionDigits > 22 {
            guard let value = slow(start, p) else { return nil }
            return (value, p)
        }
        var value = Double(significand)
        value /= powerOfTen(fractionDigits)
        return (Double(bitPattern: value.bitPattern | (negative ? 1 << 63 : 0)), p)
    }

    /// Moves `p` (which must be before the end) past a `-` or `+` and says whether it was `-`. Branch-free:
    /// signs are random in real data, and a mispredicted branch costs about as much as parsing the digits.
    @inline(__always)
    static func skipSign(_ p: inout UnsafePointer<UInt8>) -> Bool {
        let first = p.pointee
        let negative = first == UInt8(ascii: "-")
        p += (negative || first == UInt8(ascii: "+")) ? 1 : 0
        return negative
    }

    /// Reads the decimal digits at `p` into `significand` (which overflows silently past 19 digits) and
    /// returns how many there were. Eight bytes at a time while eight remain: a byte is a digit when
    /// `byte ^ 0x30` is at most 9, which adding 0x76 turns into a clear top bit; the first set top bit marks
    /// the first non-digit, and three multiply-and-shift steps combine up to eight digits into a number.
    @inline(__always)
    static func digitRun(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, _ significand: inout UInt64) -> Int {
        var count = 0
        while end - p >= 8 {
            let digits = UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self)) ^ 0x3030_3030_3030_3030
            let nonDigits = ((digits &+ 0x7676_7676_7676_7676) | digits) & 0x8080_8080_8080_8080
            let run = nonDigits.trailingZeroBitCount >> 3
            if run > 0 {
                // Shift out the bytes after the run; the zero bytes shifted in are leading zero digits.
                var value = digits &<< UInt64(64 - 8 * run)
                value = ((value & 0x0F0F_0F0F_0F0F_0F0F) &* 2561) >> 8
                value = ((value & 0x00FF_00FF_00FF_00FF) &* 6_553_601) >> 16
                value = ((value & 0x0000_FFFF_0000_FFFF) &* 42_949_672_960_001) >> 32
                significand = significand &* integerPowerOfTen(run) &+ value
                p += run
                count += run
            }
            if run < 8 { return count }
        }
        while p < end {
            let digit = UInt64(p.pointee) &- 48
            guard digit <= 9 else { break }
            significand = significand &* 10 &+ digit
            p += 1
            count += 1
        }
        return count
    }

    /// ``scanDouble(_:_:)`` a byte at a time, for any spelling: long significands, exponents.
    static func scanDoubleBytewise(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> (Double, UnsafePointer<UInt8>)? {
        var p = start
        guard p < end else { return nil }
        let negative = skipSign(&p)
        var significand: UInt64 = 0
        var digits = 0
        var exponent = 0
        var sawDigit = false
        while p < end {
            let digit = UInt64(p.pointee) &- 48
            guard digit <= 9 else { break }
            sawDigit = true
            if digits < 19 {
                significand = significand &* 10 &+ digit
                if significand != 0 { digits += 1 }
            } else {
                exponent += 1
            }
            p += 1
        }
        if p < end && p.pointee == UInt8(ascii: ".") {
            p += 1
            while p < end {
                let digit = UInt64(p.pointee) &- 48
                guard digit <= 9 else { break }
                sawDigit = true
                if digits < 19 {
                    significand = significand &* 10 &+ digit
                    if significand != 0 { digits += 1 }
                    exponent -= 1
                }
                p += 1
            }
        }
        guard sawDigit else { return nil }
        if p < end && (p.pointee == UInt8(ascii: "e") || p.pointee == UInt8(ascii: "E")) {
            var q = p + 1
            var exponentNegative = false
            if q < end && (q.pointee == UInt8(ascii: "-") || q.pointee == UInt8(ascii: "+")) {
                exponentNegative = q.pointee == UInt8(ascii: "-")
                q += 1
            }
            var value = 0
            var sawExponentDigit = false
            while q < end {
                let digit = Int(q.pointee) &- 48
                guard digit >= 0 && digit <= 9 else { break }
                sawExponentDigit = true
                if value < 100_000 { value = value * 10 + digit }
                q += 1
            }
            // "1e" or "1e+" is not a number with an exponent; leave the 'e' to the caller.
            if sawExponentDigit {
                exponent += exponentNegative ? -value : value
                p = q
            }
        }
        if digits > 19 || significand > (1 << 53) || exponent < -22 || exponent > 22 {
            guard let value = slow(start, p) else { return nil }
            return (value, p)
        }
        var value = Double(significand)
        if exponent < 0 { value /= powerOfTen(-exponent) } else if exponent > 0 { value *= powerOfTen(exponent) }
        return (negative ? -value : value, p)
    }

    /// `strtod` on a NUL-terminated copy, requiring the whole field to be consumed.
    private static func slow(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Double? {
        let length = end - start
        guard length > 0, length < 400 else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer -> Double? in
            for index in 0..<length {
                let byte = start[index]
                // strtod accepts hex floats and leading spaces; CSV numbers are decimal and trimmed.
                if byte == UInt8(ascii: "x") || byte == UInt8(ascii: "X") || byte == 0x20 || byte == 0x09 { return nil }
                buffer[index] = CChar(bitPattern: byte)
            }
            buffer[length] = 0
            var parsedEnd: UnsafeMutablePointer<CChar>?
            let value = strtod(buffer.baseAddress!, &parsedEnd)
            guard let parsedEnd, parsedEnd - buffer.baseAddress! == length else { return nil }
            return value
        }
    }
}
