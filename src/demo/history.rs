//! The demo's past, planned in full before any of it is replayed.
//!
//! A demo database is not written directly: the demo plans a history
//! (organisations added, people registered, logging in, leaving, mailboxes
//! set up, requests arriving and being worked) and then replays it through
//! the service at the instants it planned, so every record is one the
//! service itself produced and every change is in the audit log. Planning
//! first means each choice can look at the whole history: a leaver is only
//! chosen from people with nothing planned after the day they leave, and an
//! owner only from people who will never leave.
//!
//! This module keeps the plan and its clock and plans the organisations;
//! `people`, `mailboxes` and `tickets` plan the rest. Nothing here touches
//! the store.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Timelike, Utc};

use super::Plan;
use super::invent::{self, Dice};
use super::mailboxes::MailboxPlan;
use super::people::Person;
use super::tickets::{TicketPlan, TicketStep};
use crate::domain::hours::NasHours;
use crate::domain::organisation::IgStatus;
use crate::domain::permission::Role;
use crate::domain::routing::ServiceTargets;

/// Minutes since the start of the demo's history.
pub type Minute = u32;
/// "No such thing" in the plan's index fields.
pub const NONE: u32 = u32::MAX;
pub const DAY: u32 = 1440;
/// The history reaches back just over two years: far enough for accounts
/// registered long ago and deleted after 180 idle days, and for the
/// national scale's months of tickets.
const HISTORY_DAYS: u32 = 760;

/// Turns plan minutes into instants and knows when the NAS is open.
pub struct Clock {
    origin: DateTime<Utc>,
    /// The minute of `ctx.now`: nothing is planned after it.
    pub now: Minute,
    hours: NasHours,
}

impl Clock {
    /// Whole minutes, so that a planned 09:00 opening is exactly 09:00.
    pub fn new(now: DateTime<Utc>, hours: NasHours) -> Clock {
        let whole = now.with_nanosecond(0).and_then(|t| t.with_second(0)).unwrap_or(now);
        Clock { origin: whole - Duration::days(i64::from(HISTORY_DAYS)), now: HISTORY_DAYS * DAY, hours }
    }

    pub fn at(&self, m: Minute) -> DateTime<Utc> {
        self.origin + Duration::minutes(i64::from(m))
    }

    fn minute(&self, at: DateTime<Utc>) -> Minute {
        u32::try_from((at - self.origin).num_minutes()).unwrap_or(0)
    }

    pub fn is_open(&self, m: Minute) -> bool {
        self.hours.is_open(self.at(m))
    }

    pub fn hours(&self) -> &NasHours {
        &self.hours
    }

    pub fn days_ago(&self, days: u32) -> Minute {
        self.now.saturating_sub(days * DAY)
    }

    /// The first minute at or after `m` at which `role` works. The NAS and
    /// the resolver group work in NAS hours, so work arriving outside them
    /// waits for the next opening, plus a little so that a morning's work is
    /// not all stamped 09:00.
    pub fn working(&self, role: Role, m: Minute, dice: &mut Dice) -> Minute {
        match role {
            Role::Nas | Role::Resolver if !self.is_open(m) => {
                self.minute(self.hours.work_start(self.at(m))) + dice.between(1, 75)
            }
            _ => m,
        }
    }
}

/// What happens at one moment of the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    AddOrganisation,
    /// The organisation reaches DSPT "Standards Met".
    RaiseIg,
    CloseOrganisation,
    CreateAccount,
    Login,
    PasswordChange,
    Lock,
    HideMobile,
    /// Administration passes to a sponsor's local administrator.
    Transfer,
    Leave,
    Join,
    CreateMailbox,
    /// The subject is an index into `History::memberships`.
    AddMember,
    MailboxAccessed,
    Ticket(TicketStep),
}

/// `subject` indexes the list the step is about (organisations, people,
/// mailboxes, memberships or tickets). Twelve bytes, because a national
/// history has nearly twenty million of them.
#[derive(Debug, Clone, Copy)]
pub struct Event {
    pub at: Minute,
    pub subject: u32,
    pub step: Step,
}

pub struct Org {
    pub ods: String,
    pub name: String,
    pub ig: IgStatus,
    pub sponsor: Option<u32>,
    /// Meets the IG requirement, is open and administered by the NAS for
    /// the whole history, so the NAS can register people there.
    pub holds_accounts: bool,
    weight: u32,
    pub people: Vec<u32>,
    pub mailboxes: Vec<u32>,
}

pub struct History {
    pub clock: Clock,
    pub orgs: Vec<Org>,
    /// Running weight totals of the organisations that hold accounts, for
    /// drawing one with larger providers more likely.
    account_orgs: Vec<(u64, u32)>,
    pub sponsors: u32,
    pub people: Vec<Person>,
    pub mailboxes: Vec<MailboxPlan>,
    pub memberships: Vec<(u32, u32)>,
    /// Every (mailbox, person) pair that will be a membership, owners included.
    pub members: HashSet<(u32, u32)>,
    pub tickets: Vec<TicketPlan>,
    pub events: Vec<Event>,
    /// Mobile numbers handed out beyond one per person (owner-confirmed changes).
    pub extra_mobiles: u32,
}

/// The demo's seed: change it and every name, code and date changes.
const SEED: u64 = 0x00c4_7ede_5c00_2026;

impl History {
    pub fn plan(plan: &Plan, clock: Clock, targets: &ServiceTargets) -> History {
        let mut history = History {
            clock,
            orgs: Vec::new(),
            account_orgs: Vec::new(),
            sponsors: 0,
            people: Vec::new(),
            mailboxes: Vec::new(),
            memberships: Vec::new(),
            members: HashSet::new(),
            tickets: Vec::new(),
            events: Vec::new(),
            extra_mobiles: 0,
        };
        history.plan_organisations(plan.organisations, &mut Dice::new(SEED, "organisations"));
        history.plan_people(plan.accounts, &mut Dice::new(SEED, "people"));
        history.plan_mailboxes(plan.mailboxes, &mut Dice::new(SEED, "mailboxes"));
        history.plan_tickets(plan.tickets, plan.ticket_days, targets, &mut Dice::new(SEED, "tickets"));
        // After the tickets, so the members that requests for access add
        // count towards the total.
        history.plan_memberships(plan.memberships, &mut Dice::new(SEED, "memberships"));
        // Stable, so events of the same minute keep the order they were
        // planned in and the replay is the same every time.
        history.events.sort_by_key(|e| e.at);
        history
    }

    /// Records an event, unless it would happen after now.
    pub fn push(&mut self, at: Minute, subject: u32, step: Step) {
        if at <= self.clock.now {
            self.events.push(Event { at, subject, step });
        }
    }

    /// Marks the latest planned event about a person.
    pub fn touch(&mut self, person: u32, at: Minute) {
        let p = &mut self.people[person as usize];
        p.busy_until = p.busy_until.max(at);
    }

    /// When a NAS administrator would do something wanted at `m`. If the
    /// next opening is after now, the supervisor running the demo does it
    /// at `m` instead (the replay falls back to them).
    pub fn office(&self, m: Minute, dice: &mut Dice) -> Minute {
        let at = self.clock.working(Role::Nas, m, dice);
        if at < self.clock.now { at } else { m }
    }

    fn plan_organisations(&mut self, count: u32, dice: &mut Dice) {
        self.sponsors = (count / 100).clamp(1, 500).min(count);
        let mut codes = HashSet::new();
        for i in 0..count {
            let ods = loop {
                let code = invent::ods_code(dice);
                if codes.insert(code.clone()) {
                    break code;
                }
            };
            let is_sponsor = i < self.sponsors;
            let name = if is_sponsor { invent::sponsor_name(i as usize) } else { invent::provider_name(dice) };
            let raw = if is_sponsor { dice.below(3 * DAY) } else { dice.between(5 * DAY, 60 * DAY) };
            let created = self.office(raw, dice);
            let met = [IgStatus::DsptStandardsMet, IgStatus::DsptStandardsExceeded, IgStatus::IgToolkitLevel2];
            let met = met[dice.weighted(&[70, 20, 10])];
            let roll = if is_sponsor { 99 } else { dice.below(100) };
            let (ig, sponsor) = match roll {
                0..=5 => (IgStatus::NotMet, None),
                6..=15 => (IgStatus::DsptApproachingStandards, None),
                17..=21 => (met, Some(dice.below(self.sponsors))),
                _ => (met, None),
            };
            let org = self.orgs.len() as u32;
            self.push(created, org, Step::AddOrganisation);
            match roll {
                // Reached "Standards Met" lately: ready for accounts, none yet.
                14 | 15 => {
                    let at = self.office(self.clock.days_ago(dice.between(2, 30)), dice);
                    self.push(at, org, Step::RaiseIg);
                }
                16 => {
                    let at = self.office(self.clock.days_ago(dice.between(10, 300)), dice);
                    self.push(at, org, Step::CloseOrganisation);
                }
                _ => {}
            }
            let holds_accounts = roll >= 22;
            let weight = 1 + dice.below(5) + if dice.chance(12) { dice.below(40) } else { 0 };
            self.orgs.push(Org {
                ods,
                name,
                ig,
                sponsor,
                holds_accounts,
                weight,
                people: Vec::new(),
                mailboxes: Vec::new(),
            });
        }
        let mut sum = 0;
        for (i, org) in self.orgs.iter().enumerate().filter(|(_, o)| o.holds_accounts) {
            sum += u64::from(org.weight);
            self.account_orgs.push((sum, i as u32));
        }
    }

    /// An organisation that holds accounts, larger ones more often; `None`
    /// if there is none.
    pub fn pick_org(&self, dice: &mut Dice) -> Option<u32> {
        let total = self.account_orgs.last()?.0;
        let roll = ((u128::from(dice.next_u64()) * u128::from(total)) >> 64) as u64;
        let i = self.account_orgs.partition_point(|(sum, _)| *sum <= roll);
        self.account_orgs.get(i).map(|(_, org)| *org)
    }
}
