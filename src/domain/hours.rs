//! NAS working hours and the England and Wales bank holiday calendar.
//!
//! The NHSmail social care national administration service (NAS) works 09:00 to 17:00
//! London time, Monday to Friday, except England and Wales bank holidays (substitute
//! days included). Whatever is measured in NAS working time (response targets, when the
//! desk next opens) must agree everywhere, so this module is the one place that knows
//! the rule and does the arithmetic; screens and reports ask it rather than guessing.
//!
//! What it must not do, so that it stays deterministic and testable to the second:
//! - no I/O: the calendar arrives as GOV.UK's `bank-holidays.json` text, or is the copy
//!   compiled in from `assets/`; fetching, importing and storing files is the caller's job;
//! - no clock: every "now" is an argument, so the same question always gets the same answer;
//! - no fixed UTC offsets: 09:00 London is 09:00Z in winter (GMT) and 08:00Z in summer
//!   (BST), and only `chrono_tz::Europe::London` knows which applies on a given date.
//!
//! Instants go in and come out as `DateTime<Utc>`; London local time is used only inside,
//! to decide which calendar day an instant falls on and when that day opens and closes.
//!
//! Beyond the calendar's last holiday nobody can know the holidays, so only weekends
//! count as closed there. [`BankHolidays::last_date`] lets callers warn the operator to
//! import a newer file before that matters.

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Europe::London;
use serde::{Deserialize, Serialize};

/// The calendar shipped inside the binary, so a fresh install knows the holidays without
/// any import. Spelled with `CARGO_MANIFEST_DIR` so it resolves the same in every crate.
const BUNDLED_JSON: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/bank-holidays.json"));

/// The remedy for every broken calendar: GOV.UK's own file is always well formed.
const FIX: &str = "download a fresh copy of bank-holidays.json from GOV.UK \
                   (https://www.gov.uk/bank-holidays.json) and import that";

const OPENS: NaiveTime = NaiveTime::from_hms_opt(9, 0, 0).expect("09:00 is a valid time");
const CLOSES: NaiveTime = NaiveTime::from_hms_opt(17, 0, 0).expect("17:00 is a valid time");

/// Why a bank holiday file could not be used. Each message names the problem and the fix,
/// because it is shown to the operator who tried to import the file.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error(
        "the bank holiday file is not valid JSON (it breaks at line {line}, column {column}; \
         it may be cut short or be a web page saved by mistake): {fix}",
        fix = FIX
    )]
    NotJson { line: usize, column: usize },

    #[error(
        "the bank holiday file is JSON but not laid out like GOV.UK's bank-holidays.json \
         ({detail}): {fix}",
        fix = FIX
    )]
    NotGovUkLayout { detail: String },

    #[error(
        "the bank holiday file has no \"england-and-wales\" division, which is the one NAS \
         hours follow: {fix}",
        fix = FIX
    )]
    MissingDivision,

    #[error(
        "bank holiday \"{title}\" has date \"{date}\", which is not a real YYYY-MM-DD date: \
         correct that date in the file, or {fix}",
        fix = FIX
    )]
    BadDate { title: String, date: String },

    #[error(
        "the \"england-and-wales\" division of the bank holiday file lists no holidays, so \
         every weekday would count as a working day: {fix}",
        fix = FIX
    )]
    Empty,
}

/// One England-and-Wales bank holiday.
///
/// Field names match GOV.UK's events, so serialising one gives a GOV.UK event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankHoliday {
    pub date: NaiveDate,
    pub title: String,
    /// GOV.UK puts "Substitute day" here when the holiday itself fell on a weekend.
    pub notes: String,
    pub bunting: bool,
}

/// The England and Wales bank holidays NAS hours skip.
///
/// Serde sees a plain list of events and rebuilds the invariant on the way in, so a
/// stored copy can never break the binary search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<BankHoliday>", into = "Vec<BankHoliday>")]
pub struct BankHolidays {
    /// Sorted by date, one event per date, so lookups can binary-search.
    events: Vec<BankHoliday>,
}

/// Only the parts of GOV.UK's file we use; serde ignores everything else (the Scottish
/// and Northern Irish divisions, any fields GOV.UK adds later).
///
/// `expecting` keeps our type names out of the messages operators see.
#[derive(Deserialize)]
#[serde(expecting = "an object of divisions, as in GOV.UK's bank-holidays.json")]
struct GovUkFile {
    #[serde(rename = "england-and-wales")]
    england_and_wales: Option<GovUkDivision>,
}

#[derive(Deserialize)]
#[serde(expecting = "a division object with an \"events\" list")]
struct GovUkDivision {
    events: Vec<GovUkEvent>,
}

/// The date stays a string here so a bad one can be reported with its event's title.
#[derive(Deserialize)]
#[serde(expecting = "an event object with a \"title\" and a \"date\"")]
struct GovUkEvent {
    title: String,
    date: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    bunting: bool,
}

fn parse_event(e: GovUkEvent) -> Result<BankHoliday, CalendarError> {
    let Ok(date) = NaiveDate::parse_from_str(&e.date, "%Y-%m-%d") else {
        return Err(CalendarError::BadDate { title: e.title, date: e.date });
    };
    let (title, notes, bunting) = (e.title, e.notes, e.bunting);
    Ok(BankHoliday { date, title, notes, bunting })
}

impl From<Vec<BankHoliday>> for BankHolidays {
    fn from(mut events: Vec<BankHoliday>) -> Self {
        // Stable sort, so of two events on one date the first listed is kept. GOV.UK never
        // lists two, and "is this a working day?" needs only one.
        events.sort_by_key(|e| e.date);
        events.dedup_by_key(|e| e.date);
        Self { events }
    }
}

impl From<BankHolidays> for Vec<BankHoliday> {
    fn from(holidays: BankHolidays) -> Self {
        holidays.events
    }
}

impl BankHolidays {
    /// Reads GOV.UK's `bank-holidays.json`, keeping only the England and Wales division.
    pub fn from_govuk_json(json: &str) -> Result<Self, CalendarError> {
        let file: GovUkFile = serde_json::from_str(json).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => CalendarError::NotGovUkLayout { detail: e.to_string() },
            _ => CalendarError::NotJson { line: e.line(), column: e.column() },
        })?;
        let division = file.england_and_wales.ok_or(CalendarError::MissingDivision)?;
        if division.events.is_empty() {
            return Err(CalendarError::Empty);
        }
        let events: Result<Vec<_>, _> = division.events.into_iter().map(parse_event).collect();
        Ok(Self::from(events?))
    }

    /// The calendar shipped in `assets/bank-holidays.json` (2018 to 2028).
    ///
    /// Panics only if that file is broken, which `bundled_calendar_*` tests rule out.
    pub fn bundled() -> Self {
        Self::from_govuk_json(BUNDLED_JSON).unwrap_or_else(|e| panic!("assets/bank-holidays.json shipped broken: {e}"))
    }

    /// GOV.UK's layout, England and Wales only: writing empty Scottish and Northern Irish
    /// divisions would claim they have no holidays. Reads back with
    /// [`Self::from_govuk_json`] unless the calendar is empty.
    pub fn to_govuk_json(&self) -> String {
        let file = serde_json::json!({
            "england-and-wales": { "division": "england-and-wales", "events": self.events }
        });
        serde_json::to_string_pretty(&file).expect("a serde_json::Value always serialises")
    }

    pub fn events(&self) -> &[BankHoliday] {
        &self.events
    }

    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.get(date).is_some()
    }

    pub fn get(&self, date: NaiveDate) -> Option<&BankHoliday> {
        let index = self.events.binary_search_by_key(&date, |e| e.date).ok()?;
        Some(&self.events[index])
    }

    pub fn first_date(&self) -> Option<NaiveDate> {
        self.events.first().map(|e| e.date)
    }

    /// After this date only weekends count as closed; callers should warn
    /// "calendar ends on …, import a newer one" as it approaches.
    pub fn last_date(&self) -> Option<NaiveDate> {
        self.events.last().map(|e| e.date)
    }
}

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
fn london_date(at: DateTime<Utc>) -> NaiveDate {
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

    #[test]
    fn bundled_calendar_covers_2018_to_2028() {
        let cal = BankHolidays::bundled();
        assert_eq!(cal.first_date(), Some(date("2018-01-01")));
        assert_eq!(cal.last_date(), Some(date("2028-12-26")));
        for year in 2018..=2028 {
            let count = cal.events().iter().filter(|e| e.date.year() == year).count();
            assert!(count >= 8, "{year} has only {count} bank holidays");
        }
        for e in cal.events() {
            let weekend = matches!(e.date.weekday(), Weekday::Sat | Weekday::Sun);
            assert!(!weekend, "{e:?} falls on a weekend");
        }
        assert!(cal.events().windows(2).all(|w| w[0].date < w[1].date));
    }

    #[test]
    fn bundled_calendar_has_substitutes_and_one_offs() {
        #[rustfmt::skip]
        let cases = [
            ("2020-05-08", "Early May bank holiday (VE day)", ""),
            ("2022-06-02", "Spring bank holiday", ""),
            ("2022-06-03", "Platinum Jubilee bank holiday", ""),
            ("2022-09-19", "Bank Holiday for the State Funeral of Queen Elizabeth II", ""),
            ("2023-05-08", "Bank holiday for the coronation of King Charles III", ""),
            ("2021-12-27", "Christmas Day",  "Substitute day"),
            ("2021-12-28", "Boxing Day",     "Substitute day"),
            ("2022-12-26", "Boxing Day",     ""),
            ("2022-12-27", "Christmas Day",  "Substitute day"),
            ("2026-12-25", "Christmas Day",  ""),
            ("2026-12-28", "Boxing Day",     "Substitute day"),
            ("2027-12-27", "Christmas Day",  "Substitute day"),
            ("2027-12-28", "Boxing Day",     "Substitute day"),
            ("2022-01-03", "New Year’s Day", "Substitute day"),
            ("2023-01-02", "New Year’s Day", "Substitute day"),
            ("2028-01-03", "New Year’s Day", "Substitute day"),
            ("2022-04-15", "Good Friday",    ""),
            ("2022-04-18", "Easter Monday",  ""),
        ];
        let cal = BankHolidays::bundled();
        for (day, title, notes) in cases {
            let e = cal.get(date(day)).unwrap_or_else(|| panic!("no holiday on {day}"));
            assert_eq!((e.title.as_str(), e.notes.as_str()), (title, notes), "{day}");
        }
        assert!(!cal.is_holiday(date("2020-05-04")), "2020 Early May moved to VE day");
        assert!(!cal.is_holiday(date("2022-05-30")), "2022 Spring moved to 2 June");
    }

    #[test]
    fn govuk_json_round_trips() {
        let cal = BankHolidays::bundled();
        assert_eq!(BankHolidays::from_govuk_json(&cal.to_govuk_json()).unwrap(), cal);
        let via_serde: BankHolidays = serde_json::from_str(&serde_json::to_string(&cal).unwrap()).unwrap();
        assert_eq!(via_serde, cal);
    }

    #[test]
    fn reads_only_england_and_wales_sorted_and_deduplicated() {
        let json = r#"{
            "scotland": {"division": "scotland", "events": [
                {"title": "St Andrew’s Day", "date": "2026-11-30", "bunting": true}]},
            "england-and-wales": {"division": "england-and-wales", "future": 1, "events": [
                {"title": "Boxing Day", "date": "2026-12-28", "notes": "Substitute day",
                 "bunting": false, "colour": "red"},
                {"title": "Christmas Day", "date": "2026-12-25"},
                {"title": "Christmas Day", "date": "2026-12-25", "notes": "", "bunting": true}]}
        }"#;
        let cal = BankHolidays::from_govuk_json(json).unwrap();
        let dates: Vec<_> = cal.events().iter().map(|e| e.date).collect();
        assert_eq!(dates, [date("2026-12-25"), date("2026-12-28")]);
        assert!(!cal.is_holiday(date("2026-11-30")), "Scotland is not followed");
    }

    #[test]
    fn import_errors_say_what_is_wrong_and_what_to_do() {
        let ew = |events: &str| format!(r#"{{"england-and-wales": {{"events": [{events}]}}}}"#);
        #[rustfmt::skip]
        let cases = [
            ("<html>Bank holidays</html>".to_owned(),           "not valid JSON"),
            (r#"{"england-and-wales": {"events": ["#.to_owned(), "not valid JSON"),
            ("42".to_owned(),                                   "expected an object of divisions"),
            (r#"{"england-and-wales": []}"#.to_owned(),         "expected a division object"),
            (ew("7"),                                           "expected an event object"),
            (ew(r#"{"date": "2026-12-25"}"#),                   "missing field `title`"),
            (r#"{"scotland": {"events": []}}"#.to_owned(),      "no \"england-and-wales\""),
            (ew(""),                                            "lists no holidays"),
            (ew(r#"{"title": "Boxing Day", "date": "2026-02-30"}"#),
                r#""Boxing Day" has date "2026-02-30""#),
            (ew(r#"{"title": "Boxing Day", "date": "26/12/2026"}"#),
                r#"date "26/12/2026""#),
        ];
        for (json, what_is_wrong) in cases {
            let message = BankHolidays::from_govuk_json(&json).unwrap_err().to_string();
            assert!(message.contains(what_is_wrong), "{message:?} should say {what_is_wrong:?}");
            assert!(message.contains("download a fresh copy of bank-holidays.json from GOV.UK"));
        }
    }
}
