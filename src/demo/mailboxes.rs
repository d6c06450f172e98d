//! The demo's shared mailboxes: spread over the providers that have people
//! (larger ones more likely), each owned by someone who will never leave, a
//! few of them legacy mailboxes sponsored by another organisation, and
//! their members.
//!
//! Pure planning: nothing here touches the store.

use std::collections::HashSet;

use super::history::{DAY, History, Minute, NONE, Step};
use super::invent::{self, Dice};
use super::people::Story;

pub struct MailboxPlan {
    pub address: String,
    pub name: String,
    pub org: u32,
    pub owner: u32,
    pub sponsor: Option<u32>,
    pub created: Minute,
    /// A later owner and when they took over.
    pub handover: Option<(Minute, u32)>,
    /// The last moment a password reset relies on the first owner vouching
    /// for a caller; a handover must come after it.
    pub vouched_until: Minute,
}

impl MailboxPlan {
    pub fn owner_at(&self, m: Minute) -> u32 {
        match self.handover {
            Some((at, owner)) if at <= m => owner,
            _ => self.owner,
        }
    }
}

impl History {
    pub fn plan_mailboxes(&mut self, count: u32, dice: &mut Dice) {
        let mut taken = HashSet::new();
        for _ in 0..count {
            let found = (0..40).find_map(|_| {
                let org = self.pick_org(dice)?;
                let people = &self.orgs[org as usize].people;
                let p = *people.get(dice.below(people.len().max(1) as u32) as usize)?;
                let person = &self.people[p as usize];
                let suitable =
                    person.story == Story::Active && !person.owner && person.created + 10 * DAY < self.clock.now;
                suitable.then_some((org, p))
            });
            let Some((org, owner)) = found else { continue };
            let Some((address, name)) = self.mailbox_address(org, &mut taken, dice) else { continue };
            // After the owner's activation, which comes up to a day and some
            // minutes after the account is made.
            let created =
                self.office(dice.between(self.people[owner as usize].created + 2 * DAY, self.clock.days_ago(3)), dice);
            let sponsor = dice.chance(3).then(|| dice.below(self.sponsors)).filter(|s| *s != org);
            let mailbox = self.mailboxes.len() as u32;
            self.mailboxes.push(MailboxPlan {
                address,
                name,
                org,
                owner,
                sponsor,
                created,
                handover: None,
                vouched_until: 0,
            });
            self.orgs[org as usize].mailboxes.push(mailbox);
            self.members.insert((mailbox, owner));
            self.people[owner as usize].owner = true;
            self.touch(owner, created);
            self.push(created, mailbox, Step::CreateMailbox);
            if dice.chance(90) {
                let opened = dice.between(created + 60, self.clock.now);
                self.push(opened, mailbox, Step::MailboxAccessed);
            }
        }
    }

    /// "rosewood-lodge.referrals@nhs.net", or with the ODS code added when
    /// another provider of the same name already has that one.
    fn mailbox_address(&self, org: u32, taken: &mut HashSet<String>, dice: &mut Dice) -> Option<(String, String)> {
        let o = &self.orgs[org as usize];
        let slug = invent::address_slug(&o.name);
        let start = dice.below(invent::MAILBOX_PURPOSES.len() as u32) as usize;
        for k in 0..invent::MAILBOX_PURPOSES.len() {
            let (part, label) = invent::MAILBOX_PURPOSES[(start + k) % invent::MAILBOX_PURPOSES.len()];
            for local in [format!("{slug}.{part}"), format!("{slug}-{}.{part}", o.ods.to_ascii_lowercase())] {
                if taken.insert(local.clone()) {
                    let plain = o.name.split(" (").next().unwrap_or(&o.name);
                    return Some((format!("{local}@nhs.net"), format!("{plain} {label}")));
                }
            }
        }
        None
    }

    /// Tops the memberships (owners' and those tickets add) up to `total`,
    /// a round of the national mailboxes at a time, so every mailbox gets
    /// several members before any gets many.
    pub fn plan_memberships(&mut self, total: u32, dice: &mut Dice) {
        let mut wanted = total.saturating_sub(self.members.len() as u32);
        let mut open: Vec<u32> =
            (0..self.mailboxes.len() as u32).filter(|m| self.mailboxes[*m as usize].sponsor.is_none()).collect();
        while wanted > 0 && !open.is_empty() {
            open.retain(|&mailbox| {
                if wanted == 0 {
                    return true;
                }
                let added = self.plan_member(mailbox, dice);
                wanted -= u32::from(added);
                added
            });
        }
        // Joiners are added to a mailbox of the organisation they join.
        for idx in 0..self.people.len() as u32 {
            let p = &self.people[idx as usize];
            if p.join_at == NONE {
                continue;
            }
            let (to, join) = (p.other_org, p.join_at);
            let mailbox = self.orgs[to as usize].mailboxes.iter().copied().find(|m| {
                let mb = &self.mailboxes[*m as usize];
                mb.sponsor.is_none() && mb.created < join
            });
            if let Some(mailbox) = mailbox {
                self.people[idx as usize].join_mailbox = mailbox;
                self.members.insert((mailbox, idx));
            }
        }
    }

    fn plan_member(&mut self, mailbox: u32, dice: &mut Dice) -> bool {
        let (org, opened) = (self.mailboxes[mailbox as usize].org, self.mailboxes[mailbox as usize].created);
        for _ in 0..8 {
            let people = &self.orgs[org as usize].people;
            let p = people[dice.below(people.len() as u32) as usize];
            let person = &self.people[p as usize];
            let start = opened.max(person.created) + 60;
            let end = person.live_until.min(self.clock.now);
            if self.members.contains(&(mailbox, p)) || start + 120 > end {
                continue;
            }
            let wanted = dice.between(start, (start + 45 * DAY).min(end - 1));
            let at = Some(self.office(wanted, dice)).filter(|at| *at < end).unwrap_or(wanted);
            self.members.insert((mailbox, p));
            self.push(at, self.memberships.len() as u32, Step::AddMember);
            self.memberships.push((mailbox, p));
            self.touch(p, at);
            return true;
        }
        false
    }
}
