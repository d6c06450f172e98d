//! The England and Wales bank holiday calendar: GOV.UK's `bank-holidays.json` read into
//! a sorted list, and the copy compiled in from `assets/`.
//!
//! It must not fetch or store anything: the file arrives as text, and importing and
//! keeping it is the caller's job.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The calendar shipped inside the binary, so a fresh install knows the holidays without
/// any import. Spelled with `CARGO_MANIFEST_DIR` so it resolves the same in every crate.
const BUNDLED_JSON: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/bank-holidays.json"));

/// The remedy for every broken calendar: GOV.UK's own file is always well formed.
const FIX: &str = "download a fresh copy of bank-holidays.json from GOV.UK \
                   (https://www.gov.uk/bank-holidays.json) and import that";

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

#[cfg(test)]
mod tests {
    use chrono::{Datelike, Weekday};

    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
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
