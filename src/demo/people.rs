//! The people of the demo: who works where, and how each account spends
//! the history (registered, activated, in use, gone quiet, left, moved).
//!
//! A story is a few dated events; the lifecycle sweep at the end of the
//! replay turns their dates into the account's status, so an "inactive"
//! account is one the real rules made inactive. Pure planning: nothing here
//! touches the store.

use super::history::{DAY, History, Minute, NONE, Step};
use super::invent::{self, Dice};

/// Organisations are added in the first weeks; people from this point on.
const ACCOUNTS_FROM: Minute = 70 * DAY;

/// How a person's account spends the history; the sweep at the end turns
/// the dates into the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Story {
    Active,
    Pending,
    Inactive,
    NeverActivated,
    DeletedInactive,
    Leaver,
    DeletedLeaver,
    Joiner,
}

const STORIES: [(Story, u32); 8] = [
    (Story::Active, 62),
    (Story::Pending, 10),
    (Story::Inactive, 8),
    (Story::NeverActivated, 2),
    (Story::DeletedInactive, 9),
    (Story::Leaver, 4),
    (Story::DeletedLeaver, 4),
    (Story::Joiner, 1),
];

pub struct Person {
    /// Indices into the first and last name tables.
    pub first: u16,
    pub last: u16,
    /// The organisation that registered them.
    pub org: u32,
    pub story: Story,
    pub created: Minute,
    /// When the person stops being someone a mailbox can take (marked as a
    /// leaver); `NONE` if never.
    pub live_until: Minute,
    /// The last planned event about this person.
    pub busy_until: Minute,
    /// Already the subject of a lock, a hidden mobile, a transfer or a
    /// ticket's account task; one per person keeps the history consistent.
    pub used: bool,
    /// Owns (or has owned) a shared mailbox, so is never made a leaver.
    pub owner: bool,
    /// The organisation a joiner moves to, or the sponsor an account is
    /// transferred to.
    pub other_org: u32,
    pub join_at: Minute,
    pub join_mailbox: u32,
}

impl Person {
    pub fn first_name(&self) -> &'static str {
        invent::FIRST_NAMES[usize::from(self.first)]
    }
    pub fn last_name(&self) -> &'static str {
        invent::LAST_NAMES[usize::from(self.last)]
    }
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name(), self.last_name())
    }
}

impl History {
    pub fn plan_people(&mut self, count: u32, dice: &mut Dice) {
        let weights: Vec<u32> = STORIES.iter().map(|(_, w)| *w).collect();
        for idx in 0..count {
            let first = dice.common(invent::FIRST_NAMES.len()) as u16;
            let last = dice.common(invent::LAST_NAMES.len()) as u16;
            let Some(org) = self.pick_org(dice) else { return };
            let story = STORIES[dice.weighted(&weights)].0;
            self.people.push(Person {
                first,
                last,
                org,
                story,
                created: 0,
                live_until: NONE,
                busy_until: 0,
                used: false,
                owner: false,
                other_org: NONE,
                join_at: NONE,
                join_mailbox: NONE,
            });
            self.orgs[org as usize].people.push(idx);
            self.plan_story(idx, dice);
        }
    }

    /// The events of one person's account, from registration on.
    fn plan_story(&mut self, idx: u32, dice: &mut Dice) {
        use Story::*;
        let now = self.clock.now;
        let story = self.people[idx as usize].story;
        // The last day of activity of those who go quiet, drawn first
        // because registration has to come before it.
        let quiet_since = match story {
            Inactive => self.clock.days_ago(dice.between(100, 170)) - dice.below(DAY),
            DeletedInactive => self.clock.days_ago(dice.between(190, 480)) - dice.below(DAY),
            _ => 0,
        };
        let (from, to) = match story {
            Active => (ACCOUNTS_FROM, self.clock.days_ago(6)),
            Pending => (self.clock.days_ago(85), self.clock.days_ago(1)),
            NeverActivated => (self.clock.days_ago(170), self.clock.days_ago(95)),
            Inactive | DeletedInactive => {
                ((quiet_since.saturating_sub(300 * DAY)).max(ACCOUNTS_FROM), quiet_since - 6 * DAY)
            }
            Leaver => (ACCOUNTS_FROM, self.clock.days_ago(60)),
            DeletedLeaver => (ACCOUNTS_FROM, self.clock.days_ago(120)),
            Joiner => (ACCOUNTS_FROM, self.clock.days_ago(90)),
        };
        let created = self.office(dice.between(from, to), dice);
        self.people[idx as usize].created = created;
        self.push(created, idx, Step::CreateAccount);
        self.touch(idx, created);
        if matches!(story, Pending | NeverActivated) {
            return;
        }
        let activated = (created + dice.between(60, DAY)).min(now - 30);
        self.sign_in(idx, activated, dice);
        match story {
            Active => {
                self.keep_active(idx, activated, now, dice);
                self.overlay(idx, created, activated, dice);
            }
            Inactive | DeletedInactive if quiet_since > activated + 60 => self.sign_in(idx, quiet_since, dice),
            Leaver => {
                let leave = self.office(self.clock.days_ago(dice.between(1, 28)) - dice.below(DAY), dice);
                self.keep_active(idx, activated, leave, dice);
                self.leave(idx, leave);
            }
            DeletedLeaver => {
                let leave = self.office(dice.between(activated + DAY, self.clock.days_ago(36)), dice);
                self.leave(idx, leave);
            }
            Joiner => {
                let leave = self.office(self.clock.days_ago(dice.between(25, 60)), dice);
                self.keep_active(idx, activated, leave, dice);
                self.leave(idx, leave);
                let join = self.office(leave + dice.between(DAY, 14 * DAY), dice);
                let home = self.people[idx as usize].org;
                let to = (0..20).filter_map(|_| self.pick_org(dice)).find(|o| *o != home).unwrap_or(NONE);
                if to != NONE {
                    let p = &mut self.people[idx as usize];
                    (p.other_org, p.join_at) = (to, join);
                    self.push(join, idx, Step::Join);
                    self.sign_in(idx, (join + dice.between(60, 3 * DAY)).min(now - 10), dice);
                }
            }
            _ => {}
        }
    }

    /// A login followed by a password change, as the directory reports them.
    fn sign_in(&mut self, idx: u32, at: Minute, dice: &mut Dice) {
        let changed = at + dice.between(1, 9);
        self.push(at, idx, Step::Login);
        self.push(changed, idx, Step::PasswordChange);
        self.touch(idx, changed);
    }

    /// Recent enough activity before `until` that the account stays active.
    fn keep_active(&mut self, idx: u32, since: Minute, until: Minute, dice: &mut Dice) {
        if until.saturating_sub(since) > 80 * DAY {
            let login = until - dice.between(DAY, 60 * DAY);
            self.push(login, idx, Step::Login);
            let changed = until - dice.between(DAY, 80 * DAY);
            self.push(changed, idx, Step::PasswordChange);
            self.touch(idx, login.max(changed));
        }
    }

    fn leave(&mut self, idx: u32, at: Minute) {
        self.push(at, idx, Step::Leave);
        self.people[idx as usize].live_until = at;
        self.touch(idx, at);
    }

    /// A few active accounts end the history locked, with their mobile
    /// hidden from the directory, or administered by a sponsor.
    fn overlay(&mut self, idx: u32, created: Minute, activated: Minute, dice: &mut Dice) {
        let now = self.clock.now;
        let (step, at) = match dice.below(100) {
            0..=2 => (Step::Lock, (now - dice.between(0, 20 * DAY)).max(activated + 60)),
            3..=6 => (Step::HideMobile, dice.between(created + 60, (created + 60 * DAY).min(now))),
            7 => {
                self.people[idx as usize].other_org = dice.below(self.sponsors);
                (Step::Transfer, self.office(dice.between(activated + DAY, now - DAY), dice))
            }
            _ => return,
        };
        self.people[idx as usize].used = true;
        self.push(at, idx, step);
        self.touch(idx, at);
    }
}
