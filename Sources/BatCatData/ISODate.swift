/// ISO-8601 dates and date-times, parsed and written without Foundation.
///
/// Accepted: `2026-11-21`, `2026-11-21T10:00:00`, `2026-11-21 10:00:00.250`, each optionally followed by
/// `Z` or an offset `+01:00` / `-0530`. A value without an offset is read as UTC.
public enum ISODate {
    /// Seconds since 1970-01-01T00:00:00Z, or `nil` when the bytes are not an ISO-8601 date or date-time.
    public static func parse(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Double? {
        let count = end - start
        guard count >= 10 else { return nil }
        func digits(_ offset: Int, _ length: Int) -> Int? {
            guard offset + length <= count else { return nil }
            var value = 0
            for index in offset..<offset + length {
                let digit = Int(start[index]) - 48
                guard digit >= 0 && digit <= 9 else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let year = digits(0, 4), start[4] == UInt8(ascii: "-"), let month = digits(5, 2), start[7] == UInt8(ascii: "-"),
            let day = digits(8, 2), (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        var seconds = Double(daysFromCivil(year: year, month: month, day: day)) * 86_400
        var index = 10
        if index == count { return seconds }
        guard start[index] == UInt8(ascii: "T") || start[index] == UInt8(ascii: " "),
            let hour = digits(11, 2), start[13] == UInt8(ascii: ":"), let minute = digits(14, 2),
            hour < 24, minute < 60
        else { return nil }
        seconds += Double(hour * 3600 + minute * 60)
        index = 16
        if index < count, start[index] == UInt8(ascii: ":") {
            guard let second = digits(17, 2), second < 61 else { return nil }
            seconds += Double(second)
            index = 19
            if index < count, start[index] == UInt8(ascii: ".") || start[index] == UInt8(ascii: ",") {
                index += 1
                var scale = 0.1
                var sawDigit = false
                while index < count, let digit = digits(index, 1) {
                    seconds += Double(digit) * scale
                    scale /= 10
                    index += 1
                    sawDigit = true
                }
                guard sawDigit else { return nil }
            }
        }
        if index == count { return seconds }
        if start[index] == UInt8(ascii: "Z") { return index + 1 == count ? seconds : nil }
        guard start[index] == UInt8(ascii: "+") || start[index] == UInt8(ascii: "-"), let offsetHours = digits(index + 1, 2) else {
            return nil
        }
        var offsetMinutes = 0
        var after = index + 3
        if after < count, start[after] == UInt8(ascii: ":") { after += 1 }
        if after < count {
            guard let minutes = digits(after, 2) else { return nil }
            offsetMinutes = minutes
            after += 2
        }
        guard after == count else { return nil }
        let offset = Double(offsetHours * 3600 + offsetMinutes * 60)
        return start[index] == UInt8(ascii: "+") ? seconds - offset : seconds + offset
    }

    /// Parses a string; see ``parse(_:_:)``.
    public static func parse(_ text: String) -> Double? {
        var text = text
        return text.withUTF8 { buffer in
            guard let base = buffer.baseAddress else { return nil }
            return parse(base, base + buffer.count)
        }
    }

    /// `2026-11-21` for a midnight instant, else `2026-11-21T10:00:00Z` (with fractions when present); with
    /// `time`, the time of day even at midnight.
    public static func format(_ seconds: Double, time: Bool = false) -> String {
        let days = (seconds / 86_400).rounded(.down)
        let (year, month, day) = civilFromDays(Int(days))
        var remainder = seconds - days * 86_400
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let date = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
        if remainder == 0 && !time { return date }
        let hour = Int(remainder / 3600)
        remainder -= Double(hour * 3600)
        let minute = Int(remainder / 60)
        remainder -= Double(minute * 60)
        let second = Int(remainder)
        let fraction = remainder - Double(second)
        var text = "\(date)T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
        if fraction > 0 {
            let millis = Int((fraction * 1000).rounded())
            text += ".\(pad(min(millis, 999), 3))"
        }
        return text + "Z"
    }

    private static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
