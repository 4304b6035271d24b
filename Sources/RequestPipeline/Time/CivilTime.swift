/// A broken-down local time (proleptic Gregorian), computed without the C library.
struct CivilTime: Sendable {
    var year: Int
    /// 1...12
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int
    /// 0 = Sunday
    var weekday: Int
    /// 0-based day of the year
    var yearDay: Int
    var utcOffset: Int

    init(epochSeconds: Int64, utcOffset: Int) {
        let local = epochSeconds + Int64(utcOffset)
        var days = local / 86_400
        var secondOfDay = local % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        // Howard Hinnant's `civil_from_days` / `days_from_civil`, shared with HTTPDate.
        let (y, m, d) = HTTPDate.civil(fromDays: days)
        year = Int(y)
        month = m
        day = Int(d)
        hour = Int(secondOfDay / 3600)
        minute = Int(secondOfDay % 3600 / 60)
        second = Int(secondOfDay % 60)
        let w = (days + 4) % 7  // 1970-01-01 was a Thursday
        weekday = Int(w < 0 ? w + 7 : w)
        yearDay = Int(days - HTTPDate.days(fromCivil: y, 1, 1))
        self.utcOffset = utcOffset
    }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    var hour12: Int { hour % 12 == 0 ? 12 : hour % 12 }

    /// glibc's ISO 8601 week-based year and week.
    var isoYearAndWeek: (year: Int, week: Int) {
        func isoWeekDays(_ yday: Int, _ wday: Int) -> Int {
            let bigEnoughMultipleOf7 = (366 / 7 + 2) * 7
            return yday - (yday - wday + 4 + bigEnoughMultipleOf7) % 7 + 3
        }
        var isoYear = year
        var days = isoWeekDays(yearDay, weekday)
        if days < 0 {
            isoYear -= 1
            days = isoWeekDays(yearDay + (Self.isLeap(isoYear) ? 366 : 365), weekday)
        } else {
            let next = isoWeekDays(yearDay - (Self.isLeap(isoYear) ? 366 : 365), weekday)
            if next >= 0 {
                isoYear += 1
                days = next
            }
        }
        return (isoYear, days / 7 + 1)
    }
}
