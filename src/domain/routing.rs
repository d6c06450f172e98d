//! Where a request goes and when it is due.
//!
//! In NAS hours every request goes to the NAS. Out of hours the national
//! helpdesk works the simple ones at once, and the complex ones wait in the
//! resolver group's queue for the next NAS opening. Service targets are
//! counted in the working time of the queue that holds the ticket: business
//! minutes for the NAS and the resolver group, wall-clock minutes for the
//! 24/7 helpdesk. Pure: the instant and the calendar come in as arguments.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::names::named;

use super::hours::NasHours;

/// The three queues a ticket can sit in.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::VariantArray,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Queue {
    Nas,
    Helpdesk,
    Resolver,
}

impl Queue {
    pub fn label(self) -> &'static str {
        match self {
            Queue::Nas => "NAS",
            Queue::Helpdesk => "national helpdesk",
            Queue::Resolver => "resolver group",
        }
    }

    /// Stable one-byte code used in index keys; never reorder.
    pub fn code(self) -> u8 {
        match self {
            Queue::Nas => 0,
            Queue::Helpdesk => 1,
            Queue::Resolver => 2,
        }
    }
}

/// How a request reached the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::VariantArray, strum::IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Channel {
    /// Email to the NAS address (careadmin@nhs.net).
    EmailNas,
    /// Email to the national helpdesk address.
    EmailHelpdesk,
    /// A call to the national helpdesk.
    Phone,
    /// Self-service through the portal.
    Portal,
}

impl Channel {}

/// What a request is about. The first four are the simple tasks the national
/// helpdesk performs at any hour; everything else is complex.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::VariantArray,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Category {
    PasswordReset,
    ActivationHelp,
    DirectoryVisibility,
    Unlock,
    NewAccount,
    Leaver,
    Move,
    MissingPersonalAccount,
    MissingSharedMailbox,
    MailboxAccess,
    OwnerChange,
    IgRejection,
    SponsoredMailbox,
    DuplicateAccount,
    AccountTransfer,
    General,
}

impl Category {
    /// The stored code: the position in [`Category::ALL`], so new
    /// categories go at the end.
    pub fn code(self) -> u8 {
        Category::ALL.iter().position(|c| *c == self).map_or(u8::MAX, |i| i as u8)
    }

    pub fn from_code(code: u8) -> Option<Category> {
        Category::ALL.get(usize::from(code)).copied()
    }

    pub fn is_simple(self) -> bool {
        matches!(
            self,
            Category::PasswordReset | Category::ActivationHelp | Category::DirectoryVisibility | Category::Unlock
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::PasswordReset => "password reset",
            Category::ActivationHelp => "activation help",
            Category::DirectoryVisibility => "directory visibility",
            Category::Unlock => "account unlock",
            Category::NewAccount => "new account (joiner)",
            Category::Leaver => "leaver",
            Category::Move => "move between organisations",
            Category::MissingPersonalAccount => "missing personal account",
            Category::MissingSharedMailbox => "missing shared mailbox",
            Category::MailboxAccess => "shared mailbox access",
            Category::OwnerChange => "shared mailbox owner change",
            Category::IgRejection => "information-governance rejection",
            Category::SponsoredMailbox => "sponsored mailbox migration",
            Category::DuplicateAccount => "duplicate account",
            Category::AccountTransfer => "account transfer",
            Category::General => "general enquiry",
        }
    }
}

pub use super::names::UnknownName;

named!(Queue, "queue");
named!(Channel, "channel");
named!(Category, "category");

/// Service targets per queue: policy, changed by a supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceTargets {
    /// NAS working minutes from receipt to due.
    pub nas_business_minutes: u32,
    /// Wall-clock minutes: the helpdesk works around the clock.
    pub helpdesk_minutes: u32,
    /// NAS working minutes from the next opening to due.
    pub resolver_business_minutes: u32,
}

impl Default for ServiceTargets {
    /// One working day for the NAS, four hours for a simple task at the
    /// helpdesk, two working days for complex out-of-hours work.
    fn default() -> Self {
        ServiceTargets { nas_business_minutes: 480, helpdesk_minutes: 240, resolver_business_minutes: 960 }
    }
}

impl ServiceTargets {
    pub fn minutes_for(&self, queue: Queue) -> u32 {
        match queue {
            Queue::Nas => self.nas_business_minutes,
            Queue::Helpdesk => self.helpdesk_minutes,
            Queue::Resolver => self.resolver_business_minutes,
        }
    }
}

/// The routing decision recorded on a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routing {
    pub queue: Queue,
    /// When work on the ticket can start.
    #[serde(with = "super::time::ts")]
    pub work_from: DateTime<Utc>,
    #[serde(with = "super::time::ts")]
    pub due_at: DateTime<Utc>,
}

/// Routes a request received at `received_at`.
pub fn route_ticket(
    hours: &NasHours,
    targets: &ServiceTargets,
    received_at: DateTime<Utc>,
    category: Category,
) -> Routing {
    let queue = if hours.is_open(received_at) {
        Queue::Nas
    } else if category.is_simple() {
        Queue::Helpdesk
    } else {
        Queue::Resolver
    };
    reroute(hours, targets, received_at, queue)
}

/// Work-from and due time of a ticket placed in `queue` at `at`; used when a
/// ticket is routed and when it is moved to another queue.
pub fn reroute(hours: &NasHours, targets: &ServiceTargets, at: DateTime<Utc>, queue: Queue) -> Routing {
    let minutes = targets.minutes_for(queue);
    match queue {
        Queue::Helpdesk => Routing { queue, work_from: at, due_at: at + Duration::minutes(i64::from(minutes)) },
        Queue::Nas | Queue::Resolver => {
            Routing { queue, work_from: hours.work_start(at), due_at: hours.add_working_minutes(at, minutes) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_codes_are_positions_and_read_back() {
        for (i, category) in Category::ALL.iter().copied().enumerate() {
            assert_eq!(usize::from(category.code()), i);
            assert_eq!(Category::from_code(category.code()), Some(category));
        }
        assert_eq!(Category::from_code(Category::ALL.len() as u8), None);
        // Stored codes must not move: the first and last of today's list.
        assert_eq!(Category::PasswordReset.code(), 0);
        assert_eq!(Category::General.code(), 15);
    }
    use crate::domain::hours::BankHolidays;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn hours() -> NasHours {
        NasHours::new(BankHolidays::bundled())
    }

    #[test]
    fn routing_table() {
        use Category::*;
        use Queue::*;
        let targets = ServiceTargets::default();
        // (received, category) -> (queue, work_from, due)
        let cases = [
            // Wednesday in winter, open: NAS, one working day.
            ("2026-01-07T10:00:00Z", Leaver, Nas, "2026-01-07T10:00:00Z", "2026-01-08T10:00:00Z"),
            ("2026-01-07T10:00:00Z", PasswordReset, Nas, "2026-01-07T10:00:00Z", "2026-01-08T10:00:00Z"),
            // Summer: 09:30 BST is 08:30Z, open.
            ("2026-07-01T08:30:00Z", NewAccount, Nas, "2026-07-01T08:30:00Z", "2026-07-02T08:30:00Z"),
            // Same wall time in winter is 08:30 GMT, closed: simple to the helpdesk now.
            ("2026-01-07T08:30:00Z", PasswordReset, Helpdesk, "2026-01-07T08:30:00Z", "2026-01-07T12:30:00Z"),
            // Complex before opening: resolver from 09:00 today, due at the close of the second working day.
            ("2026-01-07T08:30:00Z", Leaver, Resolver, "2026-01-07T09:00:00Z", "2026-01-08T17:00:00Z"),
            // Friday evening: resolver from Monday.
            ("2026-01-09T18:00:00Z", MissingSharedMailbox, Resolver, "2026-01-12T09:00:00Z", "2026-01-13T17:00:00Z"),
            ("2026-01-09T18:00:00Z", Unlock, Helpdesk, "2026-01-09T18:00:00Z", "2026-01-09T22:00:00Z"),
            // Christmas Eve 2026 after closing: next opening Tue 29 Dec (28th is the Boxing Day substitute).
            ("2026-12-24T17:30:00Z", Leaver, Resolver, "2026-12-29T09:00:00Z", "2026-12-30T17:00:00Z"),
            ("2026-12-24T17:30:00Z", DirectoryVisibility, Helpdesk, "2026-12-24T17:30:00Z", "2026-12-24T21:30:00Z"),
            // Saturday night before the clocks go back: opening Mon 26 Oct 09:00 GMT.
            ("2026-10-24T22:00:00Z", OwnerChange, Resolver, "2026-10-26T09:00:00Z", "2026-10-27T17:00:00Z"),
            // Saturday before the clocks go forward: Monday 30 Mar 09:00 BST is 08:00Z.
            ("2026-03-28T12:00:00Z", General, Resolver, "2026-03-30T08:00:00Z", "2026-03-31T16:00:00Z"),
            // Good Friday 2026 is closed.
            ("2026-04-03T10:00:00Z", ActivationHelp, Helpdesk, "2026-04-03T10:00:00Z", "2026-04-03T14:00:00Z"),
        ];
        let hours = hours();
        for (received, category, queue, work_from, due) in cases {
            let got = route_ticket(&hours, &targets, utc(received), category);
            let want = Routing { queue, work_from: utc(work_from), due_at: utc(due) };
            assert_eq!(got, want, "{received} {category}");
        }
    }

    #[test]
    fn targets_are_policy() {
        let targets = ServiceTargets { nas_business_minutes: 60, helpdesk_minutes: 15, resolver_business_minutes: 30 };
        let hours = hours();
        let r = route_ticket(&hours, &targets, utc("2026-01-07T16:30:00Z"), Category::Leaver);
        assert_eq!((r.queue, r.due_at), (Queue::Nas, utc("2026-01-08T09:30:00Z")));
        let r = route_ticket(&hours, &targets, utc("2026-01-07T20:00:00Z"), Category::PasswordReset);
        assert_eq!(r.due_at, utc("2026-01-07T20:15:00Z"));
    }

    #[test]
    fn exactly_four_categories_are_simple() {
        let simple: Vec<_> = Category::ALL.iter().filter(|c| c.is_simple()).map(|c| c.slug()).collect();
        assert_eq!(simple, ["password-reset", "activation-help", "directory-visibility", "unlock"]);
    }

    #[test]
    fn slugs_parse_back_and_unknown_names_list_the_choices() {
        for &c in Category::ALL {
            assert_eq!(c.slug().parse::<Category>().unwrap(), c);
        }
        let err = "pasword-reset".parse::<Category>().unwrap_err().to_string();
        assert!(err.contains("unknown category") && err.contains("password-reset"), "{err}");
        assert_eq!("EMAIL-NAS".parse::<Channel>().unwrap(), Channel::EmailNas);
    }
}
