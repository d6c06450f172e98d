//! The demo's requests: when they arrive, where the routing sends them, who
//! works them and when, and which account or mailbox each one is about.
//!
//! The routing is the real one (`route_ticket` with the service's calendar
//! and targets), so the planner knows each ticket's queue before it plans
//! the work. Each step is timed for the role that works that queue: the NAS
//! and the resolver group in NAS hours, the helpdesk at any hour. Steps that
//! would fall after now are simply not reached yet, which is what leaves the
//! recent tickets open. Nothing here touches the store.

use super::history::{DAY, History, Minute, NONE, Step};
use super::invent::{self, Dice};
use super::people::{Person, Story};
use crate::domain::permission::Role;
use crate::domain::routing::{Category, Channel, Queue, ServiceTargets, route_ticket};
use crate::domain::ticket::TicketStatus;

/// What a note or a reply says, by its place in the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    Working,
    AskOwner,
    AskDetails,
    DetailsReceived,
    Resolution,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketStep {
    Log,
    Claim,
    Note(Words),
    Reply(Words),
    Status(TicketStatus),
    /// The account or mailbox change the request asked for.
    Task,
    /// Links the account and/or mailbox the ticket is about.
    Link,
}

/// How a caller asking for a new password was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    SecurityQuestions,
    RegisteredMobile,
    /// The owner of the organisation's shared mailbox vouched for them and
    /// confirmed the mobile with this number in `invent::mobile`.
    Owner {
        owner: u32,
        mobile: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    None,
    Reset(Proof),
    Unlock,
    HideMobile,
    Leaver,
    Move { to: u32 },
    AddMember,
    NewOwner,
    Transfer { sponsor: u32 },
}

pub struct TicketPlan {
    pub received: Minute,
    pub logged: Minute,
    pub category: Category,
    pub channel: Channel,
    pub queue: Queue,
    pub org: u32,
    /// The person the request is about, who is also the requester.
    pub person: u32,
    pub mailbox: u32,
    pub task: Task,
    /// Logged before the requester gave every detail the category needs.
    pub incomplete: bool,
    /// The requester's name when the request is not about a known person.
    pub requester: (u16, u16),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    /// Never picked up: the oldest of these are overdue.
    Stalled,
    Standard,
    AskRequester,
    OwnerConfirms,
    /// Picked up, then left for days.
    Slow,
    Incomplete,
}

/// How long a ticket can sit untouched before someone notices it.
const STALLED_AT_MOST: Minute = 10 * DAY;

const CATEGORY_WEIGHTS: [u32; 16] = [20, 8, 5, 8, 9, 6, 3, 4, 3, 9, 3, 4, 2, 3, 2, 11];

pub fn worker(queue: Queue) -> Role {
    match queue {
        Queue::Nas => Role::Nas,
        Queue::Helpdesk => Role::Helpdesk,
        Queue::Resolver => Role::Resolver,
    }
}

fn steps(script: Script, task: bool, link: bool) -> Vec<TicketStep> {
    use TicketStatus::*;
    use TicketStep::*;
    let opening: &[TicketStep] = match script {
        Script::Stalled => return Vec::new(),
        Script::Standard | Script::Slow => &[Claim, Note(Words::Working)],
        Script::AskRequester => &[Claim, Reply(Words::AskDetails), Status(WaitingOnRequester), Status(InProgress)],
        Script::OwnerConfirms => &[Claim, Note(Words::AskOwner), Status(WaitingOnOwner), Status(InProgress)],
        Script::Incomplete => &[Claim, Reply(Words::AskDetails), Note(Words::DetailsReceived), Status(InProgress)],
    };
    let mut out = opening.to_vec();
    out.extend(task.then_some(Task));
    out.extend(link.then_some(Link));
    out.extend([Reply(Words::Resolution), Status(Resolved)]);
    if script != Script::Slow {
        out.push(Status(Closed));
    }
    out
}

impl History {
    pub fn plan_tickets(&mut self, count: u32, days: u32, targets: &ServiceTargets, dice: &mut Dice) {
        let few = Shortlists {
            legacy: (0..self.mailboxes.len() as u32)
                .filter(|m| self.mailboxes[*m as usize].sponsor.is_some())
                .collect(),
            local: (0..self.orgs.len() as u32).filter(|o| self.orgs[*o as usize].sponsor.is_some()).collect(),
        };
        let mut resets = 0;
        for i in 0..count {
            // The first sixteen cover every category, alternately in and out
            // of hours, so even a tiny demo shows every queue.
            let category = match i {
                0..16 => Category::ALL[i as usize],
                _ => Category::ALL[dice.weighted(&CATEGORY_WEIGHTS)],
            };
            let in_hours = if i < 16 { i % 2 == 0 } else { dice.chance(60) };
            let received = self.arrival(days, in_hours, dice);
            let routing = route_ticket(self.clock.hours(), targets, self.clock.at(received), category);
            let work_from = received + (routing.work_from - self.clock.at(received)).num_minutes() as Minute;
            let channel = channel(category, dice);
            let phoned = channel == Channel::Phone;
            let logged = (received + if phoned { dice.between(1, 5) } else { dice.between(2, 20) }).min(self.clock.now);
            let proof = (category == Category::PasswordReset).then(|| {
                resets += 1;
                if resets <= 6 { resets % 3 } else { dice.weighted(&[40, 40, 20]) as u32 }
            });
            let incomplete = matches!(
                category,
                Category::MissingPersonalAccount | Category::MissingSharedMailbox | Category::NewAccount
            ) && dice.chance(25);
            let script = match (incomplete, proof) {
                (true, _) => Script::Incomplete,
                (_, Some(2)) => Script::OwnerConfirms,
                _ => match [Script::Stalled, Script::Standard, Script::AskRequester, Script::Slow]
                    [dice.weighted(&[4, 70, 17, 9])]
                {
                    // Forgotten tickets are noticed within a fortnight, so
                    // only recent ones are still untouched.
                    Script::Stalled if received + STALLED_AT_MOST < self.clock.now => Script::Standard,
                    script => script,
                },
            };
            let requester =
                (dice.common(invent::FIRST_NAMES.len()) as u16, dice.common(invent::LAST_NAMES.len()) as u16);
            let mut ticket = TicketPlan {
                received,
                logged,
                category,
                channel,
                queue: routing.queue,
                org: NONE,
                person: NONE,
                mailbox: NONE,
                task: Task::None,
                incomplete,
                requester,
            };
            let has_task = !matches!(task_kind(category), TaskKind::LinkOnly | TaskKind::Nothing);
            let wants_link = !matches!(task_kind(category), TaskKind::Nothing | TaskKind::PersonOnly);
            let mut timed = self.time_steps(&steps(script, has_task, wants_link), &ticket, work_from, script, dice);
            let when = |step: TicketStep, timed: &[(Minute, TicketStep)], fallback: Minute| {
                timed.iter().find(|(_, s)| *s == step).map_or(fallback, |(at, _)| *at)
            };
            let task_at = when(TicketStep::Task, &timed, self.clock.now);
            let link_at = when(TicketStep::Link, &timed, self.clock.now);
            let (task, linked) = self.choose_subject(&mut ticket, proof, (task_at, link_at), &few, dice);
            ticket.task = task;
            // Drop the steps for what turned out not to be there: no change
            // to make, nothing to link, no owner to wait for.
            let owner_vouched = matches!(task, Task::Reset(Proof::Owner { .. }));
            timed.retain(|(_, step)| match step {
                TicketStep::Task => task != Task::None,
                TicketStep::Link => linked,
                TicketStep::Note(Words::AskOwner) | TicketStep::Status(TicketStatus::WaitingOnOwner) => owner_vouched,
                TicketStep::Status(TicketStatus::InProgress) if script == Script::OwnerConfirms => owner_vouched,
                _ => true,
            });
            if ticket.org == NONE && needs_org(category) {
                ticket.org = self.pick_org(dice).unwrap_or(NONE);
            }
            let index = self.tickets.len() as u32;
            self.tickets.push(ticket);
            self.push(logged, index, Step::Ticket(TicketStep::Log));
            for (at, step) in timed {
                self.push(at, index, Step::Ticket(step));
            }
        }
    }

    /// A minute in the last `days` days, inside or outside NAS hours.
    fn arrival(&self, days: u32, in_hours: bool, dice: &mut Dice) -> Minute {
        let from = self.clock.days_ago(days.max(1));
        let mut at = from;
        for _ in 0..60 {
            at = dice.between(from, self.clock.now - 30);
            if self.clock.is_open(at) == in_hours {
                break;
            }
        }
        at
    }

    /// When each step happens, for the role that works the ticket's queue;
    /// the steps after now are left out.
    fn time_steps(
        &self,
        steps: &[TicketStep],
        ticket: &TicketPlan,
        work_from: Minute,
        script: Script,
        dice: &mut Dice,
    ) -> Vec<(Minute, TicketStep)> {
        use TicketStep::*;
        let role = worker(ticket.queue);
        let mut at = ticket.logged;
        let mut previous = Log;
        let mut out = Vec::new();
        for &step in steps {
            let wanted = match (step, previous) {
                (Claim, _) if ticket.queue == Queue::Resolver => work_from.max(at) + dice.between(10, 480),
                (Claim, _) if ticket.queue == Queue::Helpdesk => at + dice.between(2, 45),
                (Claim, _) => at + dice.between(5, 240),
                (Status(TicketStatus::WaitingOnOwner | TicketStatus::WaitingOnRequester), _) => {
                    at + dice.between(1, 10)
                }
                // The requester or the owner takes a while to come back.
                (Status(TicketStatus::InProgress), Status(_)) | (Note(Words::DetailsReceived), _) => {
                    at + dice.between(240, 3 * DAY)
                }
                (Reply(Words::Resolution), _) if script == Script::Slow => at + dice.between(5 * DAY, 15 * DAY),
                (Status(TicketStatus::Closed), _) => at + dice.between(DAY, 5 * DAY),
                _ => at + dice.between(3, 90),
            };
            at = self.clock.working(role, wanted, dice);
            if at > self.clock.now {
                break;
            }
            out.push((at, step));
            previous = step;
        }
        out
    }

    /// Picks the person, organisation and mailbox a ticket is about, and the
    /// change its work makes. Returns the task and whether there is
    /// something to link.
    fn choose_subject(
        &mut self,
        t: &mut TicketPlan,
        proof: Option<u32>,
        (task_at, link_at): (Minute, Minute),
        few: &Shortlists,
        dice: &mut Dice,
    ) -> (Task, bool) {
        let active = |t: Minute| move |_: u32, p: &Person| p.story == Story::Active && !p.used && p.created + DAY < t;
        let settled = |t: Minute| {
            move |_: u32, p: &Person| {
                p.story == Story::Active && !p.used && !p.owner && p.busy_until + 60 < t && p.created + DAY < t
            }
        };
        let (task, person) = match t.category {
            Category::PasswordReset => match self.reset_subject(proof.unwrap_or(0), task_at, dice) {
                Some((proof, p)) => (Task::Reset(proof), Some(p)),
                None => (Task::None, None),
            },
            Category::ActivationHelp => {
                let pending = |_: u32, p: &Person| p.story == Story::Pending && !p.used && p.created + 60 < task_at;
                let p = self.find_person(None, dice, pending);
                (Task::Reset(Proof::RegisteredMobile), p)
            }
            Category::DirectoryVisibility => (Task::HideMobile, self.find_person(None, dice, active(task_at))),
            Category::Unlock => {
                let locked_at = t.received.saturating_sub(dice.between(5, 90));
                let p = self.find_person(None, dice, active(locked_at));
                if let Some(p) = p {
                    self.push(locked_at, p, Step::Lock);
                }
                (Task::Unlock, p)
            }
            Category::Leaver => (Task::Leaver, self.find_person(None, dice, settled(task_at))),
            Category::Move => {
                let p = self.find_person(None, dice, settled(task_at));
                let to = p.and_then(|p| {
                    let home = self.people[p as usize].org;
                    (0..20).filter_map(|_| self.pick_org(dice)).find(|o| *o != home)
                });
                match (p, to) {
                    (Some(p), Some(to)) => (Task::Move { to }, Some(p)),
                    _ => (Task::None, None),
                }
            }
            Category::MailboxAccess => return self.access_subject(t, task_at, dice),
            Category::OwnerChange => return self.owner_subject(t, task_at, dice),
            Category::AccountTransfer => (
                Task::Transfer { sponsor: dice.below(self.sponsors.max(1)) },
                self.find_person(None, dice, active(task_at)),
            ),
            _ => return self.linked_subject(t, link_at, few, dice),
        };
        let Some(p) = person else { return (Task::None, false) };
        let person = &mut self.people[p as usize];
        person.used = true;
        if matches!(task, Task::Leaver | Task::Move { .. }) {
            person.live_until = task_at;
        }
        (t.person, t.org) = (p, person.org);
        self.touch(p, task_at);
        // A transfer does not name a ticket, so the ticket links the account.
        (task, matches!(task, Task::Transfer { .. }))
    }

    /// `proof`: 0 security questions, 1 registered mobile, 2 the owner.
    fn reset_subject(&mut self, proof: u32, at: Minute, dice: &mut Dice) -> Option<(Proof, u32)> {
        let active = |_: u32, p: &Person| p.story == Story::Active && !p.used && p.created + DAY < at;
        if proof == 2 {
            for _ in 0..30 {
                let Some(p) = self.find_person(None, dice, active) else { break };
                let org = &self.orgs[self.people[p as usize].org as usize];
                let vouching = org.mailboxes.iter().copied().find_map(|m| {
                    let mb = &self.mailboxes[m as usize];
                    let owner = mb.owner_at(at);
                    (mb.created < at && owner != p).then_some((m, owner))
                });
                if let Some((mailbox, owner)) = vouching {
                    let mb = &mut self.mailboxes[mailbox as usize];
                    mb.vouched_until = mb.vouched_until.max(at);
                    // Now and then the caller has a new phone, and the owner
                    // confirms that number instead of the registered one.
                    let mobile = if dice.chance(15) {
                        self.extra_mobiles += 1;
                        self.people.len() as u32 + self.extra_mobiles
                    } else {
                        p
                    };
                    return Some((Proof::Owner { owner, mobile }, p));
                }
            }
        }
        let proof = if proof == 0 { Proof::SecurityQuestions } else { Proof::RegisteredMobile };
        self.find_person(None, dice, active).map(|p| (proof, p))
    }

    fn access_subject(&mut self, t: &mut TicketPlan, at: Minute, dice: &mut Dice) -> (Task, bool) {
        for _ in 0..30 {
            let Some(mailbox) = self.national_mailbox(dice, at) else { break };
            let org = self.mailboxes[mailbox as usize].org;
            let joinable = |p: u32, person: &Person| {
                !self.members.contains(&(mailbox, p)) && person.created + 60 < at && person.live_until > at
            };
            if let Some(p) = self.find_person(Some(org), dice, joinable) {
                self.members.insert((mailbox, p));
                (t.person, t.org, t.mailbox) = (p, org, mailbox);
                self.touch(p, at);
                return (Task::AddMember, true);
            }
        }
        (Task::None, false)
    }

    fn owner_subject(&mut self, t: &mut TicketPlan, at: Minute, dice: &mut Dice) -> (Task, bool) {
        for _ in 0..30 {
            let Some(mailbox) = self.national_mailbox(dice, at) else { break };
            let mb = &self.mailboxes[mailbox as usize];
            if mb.handover.is_some() || mb.vouched_until >= at {
                continue;
            }
            let (org, owner) = (mb.org, mb.owner);
            // Not someone already due to join the mailbox: the new owner is
            // added as a member, and a planned addition after that would be
            // refused as already done.
            let successor = |p: u32, person: &Person| {
                p != owner
                    && !self.members.contains(&(mailbox, p))
                    && person.story == Story::Active
                    // Activated: the first sign-in and password change come
                    // up to a day and some minutes after the account is made.
                    && person.created + 2 * DAY < at
                    && person.live_until == NONE
            };
            if let Some(p) = self.find_person(Some(org), dice, successor) {
                self.mailboxes[mailbox as usize].handover = Some((at, p));
                self.people[p as usize].owner = true;
                self.members.insert((mailbox, p));
                (t.person, t.org, t.mailbox) = (p, org, mailbox);
                self.touch(p, at);
                return (Task::NewOwner, true);
            }
        }
        (Task::None, false)
    }

    /// Requests handled with notes and replies, linked to what they are about.
    fn linked_subject(&mut self, t: &mut TicketPlan, at: Minute, few: &Shortlists, dice: &mut Dice) -> (Task, bool) {
        match t.category {
            Category::IgRejection => {
                let n = self.orgs.len() as u32;
                t.org = (0..40)
                    .map(|_| dice.below(n.max(1)))
                    .find(|o| self.orgs.get(*o as usize).is_some_and(|o| !o.ig.meets_requirement()))
                    .unwrap_or(NONE);
                (Task::None, false)
            }
            Category::SponsoredMailbox => {
                let legacy = few.pick(&few.legacy, dice).filter(|m| self.mailboxes[*m as usize].created < at);
                if let Some(m) = legacy {
                    (t.mailbox, t.org) = (m, self.mailboxes[m as usize].org);
                }
                (Task::None, legacy.is_some())
            }
            // Administered by a sponsor: the NAS can only point the way.
            Category::NewAccount if dice.chance(15) && !few.local.is_empty() => {
                t.org = few.pick(&few.local, dice).unwrap_or(NONE);
                (Task::None, false)
            }
            Category::General if dice.chance(50) => (Task::None, false),
            Category::MissingSharedMailbox => {
                t.org = self.pick_org(dice).unwrap_or(NONE);
                let found = self
                    .orgs
                    .get(t.org as usize)
                    .and_then(|o| o.mailboxes.iter().copied().find(|m| self.mailboxes[*m as usize].created < at));
                t.mailbox = found.unwrap_or(NONE);
                (Task::None, found.is_some())
            }
            _ => {
                let Some(org) = self.pick_org(dice) else { return (Task::None, false) };
                t.org = org;
                let links = matches!(
                    t.category,
                    Category::NewAccount | Category::DuplicateAccount | Category::MissingPersonalAccount
                );
                let known = |_: u32, p: &Person| p.created + 60 < at;
                match self.find_person(Some(org), dice, known) {
                    Some(p) if links => {
                        t.person = p;
                        (Task::None, true)
                    }
                    _ => (Task::None, false),
                }
            }
        }
    }

    fn national_mailbox(&self, dice: &mut Dice, before: Minute) -> Option<u32> {
        let n = self.mailboxes.len() as u32;
        (0..20).map(|_| dice.below(n.max(1))).find(|m| {
            self.mailboxes.get(*m as usize).is_some_and(|mb| mb.sponsor.is_none() && mb.created + 60 < before)
        })
    }

    /// A person (of `org`, if given) that `suits`, trying a few at random.
    fn find_person(&self, org: Option<u32>, dice: &mut Dice, suits: impl Fn(u32, &Person) -> bool) -> Option<u32> {
        for _ in 0..80 {
            let p = match org {
                Some(org) => {
                    let people = &self.orgs[org as usize].people;
                    *people.get(dice.below(people.len().max(1) as u32) as usize)?
                }
                None if self.people.is_empty() => return None,
                None => dice.below(self.people.len() as u32),
            };
            if suits(p, &self.people[p as usize]) {
                return Some(p);
            }
        }
        None
    }
}

/// Lists drawn from often, made once rather than per ticket: a national
/// plan has two million tickets.
struct Shortlists {
    /// Legacy mailboxes sponsored by another organisation.
    legacy: Vec<u32>,
    /// Organisations administered by a sponsor's local administrator.
    local: Vec<u32>,
}

impl Shortlists {
    fn pick(&self, list: &[u32], dice: &mut Dice) -> Option<u32> {
        (!list.is_empty()).then(|| *dice.pick(list))
    }
}

enum TaskKind {
    /// Changes an account or mailbox, then links it.
    Change,
    /// Changes an account; the change itself links it to the ticket.
    PersonOnly,
    LinkOnly,
    Nothing,
}

fn task_kind(category: Category) -> TaskKind {
    use Category::*;
    match category {
        PasswordReset | ActivationHelp | DirectoryVisibility | Unlock | Leaver | Move => TaskKind::PersonOnly,
        MailboxAccess | OwnerChange | AccountTransfer => TaskKind::Change,
        IgRejection | General => TaskKind::Nothing,
        _ => TaskKind::LinkOnly,
    }
}

/// Categories that cannot be logged without an organisation.
fn needs_org(category: Category) -> bool {
    crate::domain::ticket::required_details(category).contains(&crate::domain::ticket::Detail::OdsCode)
}

fn channel(category: Category, dice: &mut Dice) -> Channel {
    let weights = if category.is_simple() { [10, 25, 50, 15] } else { [60, 10, 10, 20] };
    Channel::ALL[dice.weighted(&weights)]
}
