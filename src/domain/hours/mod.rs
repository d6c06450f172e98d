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
//!
//! One idea per file: [`calendar`] reads and holds the bank holidays, [`working`] does
//! the arithmetic of NAS working time over them, and [`change`] judges whether a newly
//! imported calendar is plausible before it replaces the one in force.

pub mod calendar;
pub mod change;
pub mod working;

pub use calendar::{BankHoliday, BankHolidays, CalendarError};
pub use change::{CalendarChange, assess_change};
pub use working::{NasHours, Shift, london_date};
