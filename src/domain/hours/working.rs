//! NAS working time: 09:00 to 17:00 London time on weekdays that are not bank holidays,
//! and the arithmetic over it (when the desk next opens, a target counted in working
//! minutes, the working minutes between two instants).
//!
//! It must not read a clock: every "now" is an argument. London local time is used only
//! inside, to decide which calendar day an instant falls on and when that day opens and
//! closes; `chrono_tz::Europe::London` alone knows whether that is GMT or BST.

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Europe::London;

use super::calendar::BankHolidays;

const OPENS: NaiveTime = NaiveTime::from_hms_opt(9, 0, 0).expect("09:00 is a valid time");
const CLOSES: NaiveTime = NaiveTime::from_hms_opt(17, 0, 0).expect("17:00 is a valid time");

/// Whether the NAS is working at an instant, and the next change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shift {
    Open { closes_at: DateTime<Utc> },
    Closed { opens_at: DateTime<Utc> },
}

/// NAS working hours: 09:00 to 17:00 London time on working days.
#[derive(Debug, Clone)]
pub struct NasHours {
    holidays: BankHolidays,
}

impl NasHours {
    pub fn new(holidays: BankHolidays) -> Self {
        Self { holidays }
    }

    pub fn holidays(&self) -> &BankHolidays {
        &self.holidays
    }

    /// Monday to Friday and not a bank holiday. `date` is a London calendar date.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.is_holiday(date)
    }

    /// Open on [09:00, 17:00) London time of a working day: 17:00 itself is closed.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        matches!(self.shift(at), Shift::Open { .. })
    }

    pub fn shift(&self, at: DateTime<Utc>) -> Shift {
        let today = london_date(at);
        if self.is_working_day(today) {
            let opens = london_instant(today, OPENS);
            if at < opens {
                return Shift::Closed { opens_at: opens };
            }
            let closes = london_instant(today, CLOSES);
            if at < closes {
                return Shift::Open { closes_at: closes };
            }
        }
        Shift::Closed { opens_at: self.opening_after(today) }
    }

    /// The first 09:00 opening strictly after `at`: today's if `at` is earlier on a working
    /// day, otherwise a later day's (so at 09:00 exactly it is tomorrow's).
    pub fn next_opening(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        match self.shift(at) {
            Shift::Closed { opens_at } => opens_at,
            Shift::Open { .. } => self.opening_after(london_date(at)),
        }
    }

    /// When work on something arriving at `at` can start: at once if open, else next opening.
    pub fn work_start(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        match self.shift(at) {
            Shift::Open { .. } => at,
            Shift::Closed { opens_at } => opens_at,
        }
    }

    /// The instant at which `minutes` of NAS working time have passed since `from`.
    ///
    /// Zero minutes gives [`Self::work_start`]. Work that ends exactly at closing ends
    /// that day at 17:00, not the next morning, so a deadline reads as "today".
    pub fn add_working_minutes(&self, from: DateTime<Utc>, minutes: u32) -> DateTime<Utc> {
        let mut cursor = self.work_start(from);
        let mut day = london_date(cursor);
        let mut remaining = TimeDelta::minutes(i64::from(minutes));
        // One pass per working day rather than per minute: 100,000 minutes is ~210 passes.
        // Seconds in `from` are carried through, hence TimeDelta rather than whole minutes.
        loop {
            let left_today = london_instant(day, CLOSES) - cursor;
            if remaining <= left_today {
                return cursor + remaining;
            }
            remaining -= left_today;
            day = self.next_working_day(day);
            cursor = london_instant(day, OPENS);
        }
    }

    /// NAS working minutes in `[from, to)`, negative if `to` is before `from`.
    ///
    /// Partial minutes are dropped (toward zero), so 90 working seconds count as 1 minute.
    pub fn working_minutes_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to < from {
            return -self.working_minutes_between(to, from);
        }
        let mut total = TimeDelta::zero();
        let last = london_date(to);
        let mut day = london_date(from);
        while day <= last {
            if self.is_working_day(day) {
                let start = london_instant(day, OPENS).max(from);
                let end = london_instant(day, CLOSES).min(to);
                if end > start {
                    total += end - start;
                }
            }
            day = next_day(day);
        }
        total.num_minutes()
    }

    fn opening_after(&self, day: NaiveDate) -> DateTime<Utc> {
        london_instant(self.next_working_day(day), OPENS)
    }

    /// Always ends: past the calendar's last holiday only weekends are skipped.
    fn next_working_day(&self, mut day: NaiveDate) -> NaiveDate {
        loop {
            day = next_day(day);
            if self.is_working_day(day) {
                return day;
            }
        }
    }
}

fn next_day(day: NaiveDate) -> NaiveDate {
    day.succ_opt().expect("NAS dates stay far from the end of chrono's calendar (year 262143)")
}

/// The London calendar date at `at`: 23:30Z on a summer Sunday is already Monday in London.
pub fn london_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&London).date_naive()
}

/// The instant the London wall clock shows `time` on `date`.
///
/// UK clocks change at 01:00 UTC, so 09:00 and 17:00 are never skipped or repeated; the
/// other arms keep a future rule change from panicking rather than being expected.
fn london_instant(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local: NaiveDateTime = date.and_time(time);
    match London.from_local_datetime(&local) {
        LocalResult::Single(t) => t.to_utc(),
        // A repeated hour: the service opens (or closes) the first time the clock says so.
        LocalResult::Ambiguous(first, _) => first.to_utc(),
        // A skipped hour: the wall clock reaches `time` at the moment it jumps past it.
        LocalResult::None => London
            .from_local_datetime(&(local + TimeDelta::hours(1)))
            .earliest()
            .expect("Europe/London never skips more than an hour")
            .to_utc(),
    }
}

// Tables are laid out by hand, one rule per row, so rustfmt is told to leave them alone.
#[cfg(test)]
mod tests {
    use super::*;

    fn hours() -> NasHours {
        NasHours::new(BankHolidays::bundled())
    }

    fn naive(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M"))
            .unwrap_or_else(|e| panic!("test time {s:?}: {e}"))
    }

    /// A UTC instant, "YYYY-MM-DD HH:MM[:SS]".
    fn z(s: &str) -> DateTime<Utc> {
        naive(s).and_utc()
    }

    /// The instant a London wall clock shows "YYYY-MM-DD HH:MM[:SS]".
    fn ldn(s: &str) -> DateTime<Utc> {
        London.from_local_datetime(&naive(s)).single().unwrap().to_utc()
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn open_during_working_hours() {
        #[rustfmt::skip]
        let cases = [
            // at                     closes_at               why
            (z("2026-07-01 08:00"),    z("2026-07-01 16:00"),   "Wed 09:00 BST is 08:00Z"),
            (z("2026-07-01 15:59:59"), z("2026-07-01 16:00"),   "Wed 16:59:59 BST"),
            (z("2026-01-07 09:00"),    z("2026-01-07 17:00"),   "Wed 09:00 GMT is 09:00Z"),
            (z("2026-01-07 16:59:59"), z("2026-01-07 17:00"),   "one second before closing"),
            (z("2026-03-27 09:00"),    z("2026-03-27 17:00"),   "Fri before clocks go forward"),
            (z("2026-03-30 08:00"),    z("2026-03-30 16:00"),   "Mon after clocks go forward"),
            (z("2026-10-23 15:00"),    z("2026-10-23 16:00"),   "Fri before clocks go back"),
            (z("2026-10-26 09:00"),    z("2026-10-26 17:00"),   "Mon after clocks go back"),
            (ldn("2030-12-25 12:00"),  ldn("2030-12-25 17:00"), "past the calendar: weekdays"),
        ];
        let h = hours();
        for (at, closes_at, why) in cases {
            assert_eq!(h.shift(at), Shift::Open { closes_at }, "{why}");
            assert!(h.is_open(at), "{why}");
            assert_eq!(h.work_start(at), at, "{why}");
        }
        // Open now, so the next opening is on a later day, even at 09:00 exactly.
        #[rustfmt::skip]
        let next = [
            ("2026-01-07 09:00", "2026-01-08 09:00"),
            ("2026-01-09 12:00", "2026-01-12 09:00"),
            ("2026-12-24 12:00", "2026-12-29 09:00"),
        ];
        for (at, next_opening) in next {
            assert_eq!(h.next_opening(ldn(at)), ldn(next_opening), "open at {at}");
        }
    }

    #[test]
    fn closed_until_the_next_opening() {
        #[rustfmt::skip]
        let cases = [
            // at                    opens_at                 why
            (z("2026-07-01 07:59"),   z("2026-07-01 08:00"),   "08:59 BST opens at 09:00 BST"),
            (z("2026-07-01 16:00"),   z("2026-07-02 08:00"),   "17:00 BST: opens Thursday"),
            (z("2026-01-07 08:30"),   z("2026-01-07 09:00"),   "08:30 GMT opens at 09:00 GMT"),
            (z("2026-01-07 17:00"),   z("2026-01-08 09:00"),   "17:00:00 is closed"),
            (z("2026-01-09 17:00"),   z("2026-01-12 09:00"),   "Friday 17:00 opens Monday"),
            (z("2026-01-10 12:00"),   z("2026-01-12 09:00"),   "Saturday"),
            (z("2026-07-05 23:30"),   z("2026-07-06 08:00"),   "Sun 23:30Z is Mon 00:30 BST"),
            (ldn("2026-03-27 17:30"), z("2026-03-30 08:00"),   "clocks forward Sun 29 Mar"),
            (z("2026-03-29 01:30"),   z("2026-03-30 08:00"),   "just after the skipped hour"),
            (ldn("2026-10-23 17:00"), z("2026-10-26 09:00"),   "clocks back Sun 25 Oct"),
            (z("2026-10-25 01:30"),   z("2026-10-26 09:00"),   "in the repeated hour"),
            (ldn("2026-12-24 17:00"), ldn("2026-12-29 09:00"), "Christmas Fri, Boxing sub Mon"),
            (ldn("2026-12-31 17:00"), ldn("2027-01-04 09:00"), "New Year's Day Fri 1 Jan 2027"),
            (ldn("2027-12-24 17:00"), ldn("2027-12-29 09:00"), "2027 substitutes Mon and Tue"),
            (ldn("2022-12-23 17:00"), ldn("2022-12-28 09:00"), "2022 Boxing Mon, Christmas Tue"),
            (ldn("2022-04-14 17:00"), ldn("2022-04-19 09:00"), "Easter 2022"),
            (ldn("2020-05-07 17:00"), ldn("2020-05-11 09:00"), "VE day Friday 2020"),
            (ldn("2022-06-01 17:00"), ldn("2022-06-06 09:00"), "Platinum Jubilee Thu and Fri"),
            (ldn("2022-09-19 12:00"), ldn("2022-09-20 09:00"), "State Funeral of Elizabeth II"),
            (ldn("2023-05-05 17:00"), ldn("2023-05-09 09:00"), "Coronation of Charles III"),
        ];
        let h = hours();
        for (at, opens_at, why) in cases {
            assert_eq!(h.shift(at), Shift::Closed { opens_at }, "{why}");
            assert!(!h.is_open(at), "{why}");
            assert_eq!(h.next_opening(at), opens_at, "{why}");
            assert_eq!(h.work_start(at), opens_at, "{why}");
            assert!(h.is_open(opens_at), "{why}: the opening itself is open");
        }
    }

    #[test]
    fn working_days_are_weekdays_that_are_not_bank_holidays() {
        let h = hours();
        let working = |day| h.is_working_day(date(day));
        assert!(working("2026-01-07") && working("2026-12-29"), "ordinary weekdays");
        assert!(!working("2026-01-10") && !working("2026-12-28"), "Saturday, Boxing Day sub");
        assert!(working("2030-12-25"), "beyond the calendar only weekends are closed");
        assert!(!working("2030-12-28"), "beyond the calendar, Saturday is still closed");
    }

    #[test]
    fn add_working_minutes_table() {
        #[rustfmt::skip]
        let cases = [
            // from (London)       minutes  result (London)        why
            ("2026-01-07 10:00",    0,      "2026-01-07 10:00",    "0 while open: now"),
            ("2026-01-07 07:00",    0,      "2026-01-07 09:00",    "0 before opening: opening"),
            ("2026-01-10 12:00",    0,      "2026-01-12 09:00",    "0 on Saturday: Monday 09:00"),
            ("2026-01-07 10:00",    90,     "2026-01-07 11:30",    "within a day"),
            ("2026-01-07 10:00",    420,    "2026-01-07 17:00",    "exactly to closing: 17:00"),
            ("2026-01-07 10:00",    421,    "2026-01-08 09:01",    "one past closing"),
            ("2026-01-07 10:00:30", 420,    "2026-01-08 09:00:30", "seconds carried over"),
            ("2026-01-07 07:00",    480,    "2026-01-07 17:00",    "whole day from before 09:00"),
            ("2026-01-07 18:00",    60,     "2026-01-08 10:00",    "from after closing"),
            ("2026-01-09 16:00",    120,    "2026-01-12 10:00",    "over a weekend"),
            ("2026-01-05 09:00",    2400,   "2026-01-09 17:00",    "a working week"),
            ("2026-12-24 16:00",    120,    "2026-12-29 10:00",    "over Christmas 2026"),
            ("2026-12-31 16:30",    60,     "2027-01-04 09:30",    "over New Year 2027"),
            ("2026-03-27 16:00",    120,    "2026-03-30 10:00",    "clocks forward"),
            ("2026-10-23 16:00",    120,    "2026-10-26 10:00",    "clocks back"),
            ("2026-01-05 09:00",    100_000, "2026-10-29 11:40",   "208 days and 160 minutes"),
        ];
        let h = hours();
        for (from, minutes, expected, why) in cases {
            let got = h.add_working_minutes(ldn(from), minutes);
            assert_eq!(got, ldn(expected), "{why}");
        }
    }

    #[test]
    fn working_minutes_between_table() {
        #[rustfmt::skip]
        let cases = [
            // from (London)      to (London)             minutes    why
            ("2026-01-07 10:00",  "2026-01-07 10:00",     0,         "empty span"),
            ("2026-01-07 09:00",  "2026-01-07 17:00",     480,       "a whole day"),
            ("2026-01-07 06:00",  "2026-01-07 20:00",     480,       "only 09:00-17:00 counts"),
            ("2026-01-09 16:00",  "2026-01-12 10:00",     120,       "over a weekend"),
            ("2026-01-12 10:00",  "2026-01-09 16:00",     -120,      "backwards is negative"),
            ("2026-01-07 10:00",  "2026-01-07 10:01:30",  1,         "partial minutes dropped"),
            ("2026-12-24 09:00",  "2026-12-29 09:00",     480,       "Christmas 2026"),
            ("2026-03-27 09:00",  "2026-03-30 17:00",     960,       "23-hour Sunday: no effect"),
            ("2026-10-23 09:00",  "2026-10-26 17:00",     960,       "25-hour Sunday: no effect"),
            ("2026-01-01 00:00",  "2027-01-01 00:00",     253 * 480, "2026 has 253 working days"),
        ];
        let h = hours();
        for (from, to, expected, why) in cases {
            assert_eq!(h.working_minutes_between(ldn(from), ldn(to)), expected, "{why}");
        }
    }

    #[test]
    fn add_then_measure_round_trips() {
        // 330 awkward starting instants from March 2026 past New Year 2027 (both clock
        // changes and Christmas), with minute counts either side of day boundaries.
        let minutes = [0, 1, 59, 419, 420, 421, 480, 481, 2400, 10_000, 100_000];
        let step = TimeDelta::hours(25) + TimeDelta::minutes(7) + TimeDelta::seconds(13);
        let h = hours();
        let mut from = z("2026-03-01 00:00");
        for i in 0..330 {
            let m = minutes[i % minutes.len()];
            let to = h.add_working_minutes(from, m);
            assert_eq!(h.working_minutes_between(from, to), i64::from(m), "{from} + {m}");
            assert_eq!(h.working_minutes_between(to, from), -i64::from(m), "{from} + {m}");
            if m > 0 {
                let at_closing = london_instant(london_date(to), CLOSES) == to;
                assert!(h.is_open(to) || at_closing, "{from} + {m} ended closed at {to}");
            }
            from += step;
        }
    }
}
