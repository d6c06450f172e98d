//! Whether a newly imported bank holiday calendar is plausible, judged
//! against the one in force, before it replaces it.
//!
//! A calendar decides when the NAS is open and when every resolver-group
//! ticket is due, so a wrong file silently moves every target: one holiday
//! in place of 2018 to 2028 opens the NAS on Christmas Day, and a file where
//! every day is a holiday closes it for years. GOV.UK's own file has eight
//! holidays in a usual year (ten at most, in 2022), no more than two working
//! days off in a row, and covers several years. A file that breaks those
//! patterns, or drops holidays already known, is reported with what it
//! would change, for the operator to confirm.
//!
//! This judges only; it never refuses by itself. It must stay pure: the
//! date it judges at ("today") is an argument.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, NaiveDate, Weekday};

use super::calendar::{BankHoliday, BankHolidays};

/// A calendar should name holidays in at least this many calendar years.
pub const MIN_YEARS: i32 = 5;

/// More holidays than this in one year is not a real England and Wales year.
pub const MAX_PER_YEAR: usize = 15;

/// More working days off in a row than this (weekends between them do not
/// break a run) is not a real England and Wales calendar.
pub const MAX_RUN: usize = 3;

/// How many dates a message lists before it only counts.
const LISTED: usize = 5;

/// Something about a new calendar that a real GOV.UK file would not do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Concern {
    /// Holidays from today on that the calendar in force knows and the new
    /// one drops.
    RemovesFutureHolidays { removed: Vec<BankHoliday> },
    /// It names holidays in fewer than [`MIN_YEARS`] calendar years.
    ShortSpan { first: NaiveDate, last: NaiveDate },
    /// Years with more than [`MAX_PER_YEAR`] holidays: the densest, and
    /// how many other years are too dense as well.
    Dense { year: i32, count: usize, others: usize },
    /// More than [`MAX_RUN`] working days off in a row.
    LongRun { from: NaiveDate, to: NaiveDate, days: usize },
}

impl fmt::Display for Concern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Concern::RemovesFutureHolidays { removed } => {
                let mut named: Vec<String> =
                    removed.iter().take(LISTED).map(|h| format!("{} {}", h.date, h.title)).collect();
                if removed.len() > LISTED {
                    named.push(format!("and {} more", removed.len() - LISTED));
                }
                let holidays = if removed.len() == 1 { "holiday" } else { "holidays" };
                write!(
                    f,
                    "it drops {} coming {holidays} the calendar in force knows ({}), so the NAS would count as open on them",
                    removed.len(),
                    named.join(", ")
                )
            }
            Concern::ShortSpan { first, last } => write!(
                f,
                "it covers only {first} to {last}, fewer than {MIN_YEARS} years, and after its last holiday every \
                 weekday counts as a working day"
            ),
            Concern::Dense { year, count, others } => {
                let also = match others {
                    0 => String::new(),
                    1 => " and too many in 1 other year".to_owned(),
                    n => format!(" and too many in {n} other years"),
                };
                write!(
                    f,
                    "it has {count} holidays in {year}{also}, where England and Wales have about eight a year (more \
                     than {MAX_PER_YEAR} is not a real year)"
                )
            }
            Concern::LongRun { from, to, days } => write!(
                f,
                "it makes {days} working days in a row holidays, {from} to {to}, so the NAS would be closed \
                 throughout"
            ),
        }
    }
}

/// What importing a calendar would change, and what looks wrong about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarChange {
    /// Dates the new calendar has and the one in force does not.
    pub added: usize,
    /// Dates the one in force has and the new calendar does not, past ones
    /// included.
    pub removed: usize,
    pub old_range: Option<(NaiveDate, NaiveDate)>,
    pub new_range: Option<(NaiveDate, NaiveDate)>,
    pub concerns: Vec<Concern>,
}

impl CalendarChange {
    pub fn is_plausible(&self) -> bool {
        self.concerns.is_empty()
    }

    /// What would change, in one sentence.
    pub fn summary(&self) -> String {
        let range =
            |r: Option<(NaiveDate, NaiveDate)>| r.map_or_else(|| "nothing".to_owned(), |(a, b)| format!("{a} to {b}"));
        format!(
            "importing it would replace {} with {}, adding {} holidays and removing {}",
            range(self.old_range),
            range(self.new_range),
            self.added,
            self.removed
        )
    }

    /// Every concern, in one sentence.
    pub fn concerns_text(&self) -> String {
        self.concerns.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    }
}

fn range(calendar: &BankHolidays) -> Option<(NaiveDate, NaiveDate)> {
    Some((calendar.first_date()?, calendar.last_date()?))
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The next weekday after `date`.
fn next_weekday(date: NaiveDate) -> Option<NaiveDate> {
    let mut d = date.succ_opt()?;
    while is_weekend(d) {
        d = d.succ_opt()?;
    }
    Some(d)
}

/// The longest run of weekday holidays, counting a weekend between two of
/// them as no break, if it is longer than [`MAX_RUN`].
fn longest_run(new: &BankHolidays) -> Option<Concern> {
    let weekdays: Vec<NaiveDate> = new.events().iter().map(|h| h.date).filter(|d| !is_weekend(*d)).collect();
    let mut best: Option<(NaiveDate, NaiveDate, usize)> = None;
    let mut start = 0;
    for i in 0..weekdays.len() {
        let continues = i + 1 < weekdays.len() && next_weekday(weekdays[i]) == Some(weekdays[i + 1]);
        if !continues {
            let days = i + 1 - start;
            if best.is_none_or(|(_, _, n)| days > n) {
                best = Some((weekdays[start], weekdays[i], days));
            }
            start = i + 1;
        }
    }
    best.filter(|(_, _, days)| *days > MAX_RUN).map(|(from, to, days)| Concern::LongRun { from, to, days })
}

/// Judges `new` against `old`, the calendar in force, on `today` (London).
pub fn assess_change(old: &BankHolidays, new: &BankHolidays, today: NaiveDate) -> CalendarChange {
    let added = new.events().iter().filter(|h| !old.is_holiday(h.date)).count();
    let dropped: Vec<&BankHoliday> = old.events().iter().filter(|h| !new.is_holiday(h.date)).collect();
    let mut concerns = Vec::new();

    let removed: Vec<BankHoliday> = dropped.iter().filter(|h| h.date >= today).map(|h| (*h).clone()).collect();
    if !removed.is_empty() {
        concerns.push(Concern::RemovesFutureHolidays { removed });
    }
    match range(new) {
        Some((first, last)) if last.year() - first.year() + 1 < MIN_YEARS => {
            concerns.push(Concern::ShortSpan { first, last });
        }
        _ => {}
    }
    let mut per_year: BTreeMap<i32, usize> = BTreeMap::new();
    for h in new.events() {
        *per_year.entry(h.date.year()).or_default() += 1;
    }
    let dense: Vec<(i32, usize)> = per_year.into_iter().filter(|(_, count)| *count > MAX_PER_YEAR).collect();
    if let Some(&(year, count)) = dense.iter().max_by_key(|(year, count)| (*count, -*year)) {
        concerns.push(Concern::Dense { year, count, others: dense.len() - 1 });
    }
    concerns.extend(longest_run(new));

    CalendarChange { added, removed: dropped.len(), old_range: range(old), new_range: range(new), concerns }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn holiday(d: NaiveDate) -> BankHoliday {
        BankHoliday { date: d, title: "Holiday".into(), notes: String::new(), bunting: false }
    }

    fn calendar(dates: impl IntoIterator<Item = NaiveDate>) -> BankHolidays {
        BankHolidays::from(dates.into_iter().map(holiday).collect::<Vec<_>>())
    }

    /// The bundled calendar with `edit` applied to its list of holidays.
    fn bundled_with(edit: impl FnOnce(&mut Vec<BankHoliday>)) -> BankHolidays {
        let mut events = BankHolidays::bundled().events().to_vec();
        edit(&mut events);
        BankHolidays::from(events)
    }

    /// Every day from `from` to `to`.
    fn every_day(from: &str, to: &str) -> Vec<NaiveDate> {
        date(from).iter_days().take_while(|d| *d <= date(to)).collect()
    }

    fn kinds(change: &CalendarChange) -> Vec<&'static str> {
        change
            .concerns
            .iter()
            .map(|c| match c {
                Concern::RemovesFutureHolidays { .. } => "removes",
                Concern::ShortSpan { .. } => "short",
                Concern::Dense { .. } => "dense",
                Concern::LongRun { .. } => "run",
            })
            .collect()
    }

    #[test]
    fn calendars_are_judged_against_the_one_in_force() {
        let today = date("2026-01-07");
        let bundled = BankHolidays::bundled();
        let one_holiday = calendar([date("2026-12-25")]);
        let every_day_to_2029 = calendar(every_day("2026-01-01", "2029-12-31"));
        let longer = bundled_with(|e| e.push(holiday(date("2029-01-01"))));
        let without_past_year = bundled_with(|e| e.retain(|h| h.date.year() != 2018));
        let without_coming_christmas = bundled_with(|e| e.retain(|h| h.date != date("2026-12-25")));
        let extra_day_off = bundled_with(|e| e.push(holiday(date("2026-12-29"))));
        let week_off = bundled_with(|e| e.extend(every_day("2026-08-03", "2026-08-07").into_iter().map(holiday)));
        let empty = calendar([]);
        #[rustfmt::skip]
        let cases: Vec<(&str, &BankHolidays, &BankHolidays, Vec<&str>)> = vec![
            ("the same file again",                      &bundled, &bundled,                  vec![]),
            ("a newer file with a year more",            &bundled, &longer,                   vec![]),
            ("a file without a past year",               &bundled, &without_past_year,        vec![]),
            ("a one-off extra holiday",                  &bundled, &extra_day_off,            vec![]),
            ("one holiday replacing 2018 to 2028",       &bundled, &one_holiday,              vec!["removes", "short"]),
            ("every day a holiday until 2029",           &bundled, &every_day_to_2029,        vec!["short", "dense", "run"]),
            ("the coming Christmas dropped",             &bundled, &without_coming_christmas, vec!["removes"]),
            ("a week off in August",                     &bundled, &week_off,                 vec!["run"]),
            ("a first calendar that is short",           &empty,   &one_holiday,              vec!["short"]),
        ];
        for (what, old, new, want) in cases {
            assert_eq!(kinds(&assess_change(old, new, today)), want, "{what}");
        }
    }

    #[test]
    fn real_runs_of_holidays_are_not_long() {
        // Good Friday and Easter Monday, Christmas and its substitutes: two
        // working days at most, weekends between them included.
        assert_eq!(longest_run(&BankHolidays::bundled()), None);
        let four = calendar(["2026-12-24", "2026-12-25", "2026-12-28", "2026-12-29"].map(date));
        assert_eq!(
            longest_run(&four),
            Some(Concern::LongRun { from: date("2026-12-24"), to: date("2026-12-29"), days: 4 })
        );
    }

    #[test]
    fn the_message_says_what_would_change() {
        let change = assess_change(&BankHolidays::bundled(), &calendar([date("2026-12-25")]), date("2026-01-07"));
        assert_eq!(
            change.summary(),
            "importing it would replace 2018-01-01 to 2028-12-26 with 2026-12-25 to 2026-12-25, adding 0 holidays and removing 90"
        );
        let text = change.concerns_text();
        let every_day = assess_change(
            &BankHolidays::bundled(),
            &calendar(every_day("2026-01-01", "2029-12-31")),
            date("2026-01-07"),
        );
        assert!(
            every_day.concerns_text().contains("it has 366 holidays in 2028 and too many in 3 other years"),
            "{}",
            every_day.concerns_text()
        );
        assert!(
            text.starts_with("it drops 22 coming holidays the calendar in force knows (2026-04-03 Good Friday, "),
            "{text}"
        );
        assert!(text.contains(", and 17 more)"), "{text}");
        assert!(text.contains("it covers only 2026-12-25 to 2026-12-25, fewer than 5 years"), "{text}");
    }
}
