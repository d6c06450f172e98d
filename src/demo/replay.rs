//! Plays the planned history through the service, one command per event,
//! each at the instant the plan gave it and by an operator whose role may
//! do it then.
//!
//! Nothing is written any other way, so a demo record is exactly what the
//! service would have made and each change has its audit entry. A command
//! the service refuses means the plan was wrong: the replay stops and says
//! so rather than skipping it, since a skipped step would leave later ones
//! acting on something that is not there.

use std::collections::HashSet;

use super::history::{Event, History, NONE, Step};
use super::invent;
use super::people::Person;
use super::tickets::{Proof, Task, TicketPlan, TicketStep, worker};
use super::wording;
use crate::domain::organisation::IgStatus;
use crate::domain::permission::{Action, Role, authorise};
use crate::domain::routing::{Category, Channel};
use crate::domain::ticket::TicketRef;
use crate::domain::time::rfc3339;
use crate::service::ops::*;
use crate::service::{Ctx, Operation, Registered, Request, Service, ServiceError, Verification};
use crate::store::StoreError;

/// Events replayed in one batch.
const EVENTS_PER_BATCH: usize = 10_000;

/// The demo's operators: two of each role, so the work is shared out.
pub const ROSTER: [(&str, Role); 7] = [
    ("nas1", Role::Nas),
    ("nas2", Role::Nas),
    ("helpdesk1", Role::Helpdesk),
    ("helpdesk2", Role::Helpdesk),
    ("resolver1", Role::Resolver),
    ("resolver2", Role::Resolver),
    ("supervisor1", Role::Supervisor),
];

/// Who carries out an event.
#[derive(Debug, Clone, Copy)]
enum Who {
    /// The directory's reports of logins, password changes, locks and
    /// mailbox access come in under the account that loads the demo, as they
    /// would under the account that runs the feed.
    Feed,
    Role(Role),
}

pub struct Replay<'a> {
    service: &'a Service,
    caller: &'a str,
    history: &'a History,
    /// Each person's NHSmail address, once the service has chosen it.
    addresses: Vec<Option<String>>,
    references: Vec<Option<TicketRef>>,
    /// (first name, last name, organisation) of everyone registered so far,
    /// names by their folded form, as the likely-duplicate check sees them.
    names_in_orgs: HashSet<(u16, u16, u32)>,
    folds: (Vec<u16>, Vec<u16>),
}

impl<'a> Replay<'a> {
    pub fn new(service: &'a Service, caller: &'a str, history: &'a History) -> Replay<'a> {
        Replay {
            service,
            caller,
            history,
            addresses: vec![None; history.people.len()],
            references: vec![None; history.tickets.len()],
            names_in_orgs: HashSet::new(),
            folds: (invent::fold_ids(invent::FIRST_NAMES), invent::fold_ids(invent::LAST_NAMES)),
        }
    }

    /// Replays every event, [`EVENTS_PER_BATCH`] to a batch: each command
    /// is checked and audited on its own, and a batch is written in one
    /// transaction. The demo's database is its own (the build refuses one
    /// with data), so no other writer can interrupt a batch; if one did, the
    /// build stops and says so.
    pub fn run(&mut self, progress: &mut dyn FnMut(&str, u64, u64)) -> Result<(), ServiceError> {
        let history = self.history;
        let service = self.service;
        let total = history.events.len() as u64;
        for (n, chunk) in history.events.chunks(EVENTS_PER_BATCH).enumerate() {
            progress("replaying the history", (n * EVENTS_PER_BATCH) as u64, total);
            service.batch(|| chunk.iter().try_for_each(|event| self.apply(event)))??;
        }
        progress("replaying the history", total, total);
        Ok(())
    }

    fn apply(&mut self, e: &Event) -> Result<(), ServiceError> {
        let h = self.history;
        let i = e.subject as usize;
        let nas = Who::Role(Role::Nas);
        let (who, action, command) = match e.step {
            Step::AddOrganisation | Step::RaiseIg | Step::CloseOrganisation => {
                let org = &h.orgs[i];
                let ods = org.ods.clone();
                let command = match e.step {
                    Step::AddOrganisation => Request::from(AddOrganisation {
                        ods,
                        name: org.name.clone(),
                        ig: org.ig,
                        administered_by: org.sponsor.map(|s| h.orgs[s as usize].ods.clone()),
                    }),
                    Step::RaiseIg => Request::from(SetIgStatus { ods, ig: IgStatus::DsptStandardsMet }),
                    _ => Request::from(CloseOrganisation { ods }),
                };
                (nas, Action::OrganisationChange, command)
            }
            Step::CreateAccount => return self.create_account(e),
            Step::Login => {
                (Who::Feed, Action::DirectoryFeed, Request::from(RecordLogin { address: self.address(e.subject)? }))
            }
            Step::PasswordChange => (
                Who::Feed,
                Action::DirectoryFeed,
                Request::from(RecordPasswordChange { address: self.address(e.subject)? }),
            ),
            Step::Lock => {
                (Who::Feed, Action::DirectoryFeed, Request::from(RecordLock { address: self.address(e.subject)? }))
            }
            Step::HideMobile => (
                Who::Role(Role::Helpdesk),
                Action::SimpleAccountTask,
                Request::from(SetMobileHidden { address: self.address(e.subject)?, hidden: true, ticket: None }),
            ),
            Step::Transfer => {
                let to = Some(h.orgs[h.people[i].other_org as usize].ods.clone());
                (
                    nas,
                    Action::ComplexAccountTask,
                    Request::from(TransferAdministration { address: self.address(e.subject)?, to }),
                )
            }
            Step::Leave => (
                nas,
                Action::ComplexAccountTask,
                Request::from(MarkLeaver { address: self.address(e.subject)?, new_owner: None, ticket: None }),
            ),
            Step::Join => {
                let p = &h.people[i];
                self.register_name(p, p.other_org);
                let mailboxes = Some(p.join_mailbox).filter(|m| *m != NONE);
                let command = Request::from(Joiner {
                    address: self.address(e.subject)?,
                    ods: h.orgs[p.other_org as usize].ods.clone(),
                    mailboxes: mailboxes.map(|m| h.mailboxes[m as usize].address.clone()).into_iter().collect(),
                    ticket: None,
                });
                (nas, Action::ComplexAccountTask, command)
            }
            Step::CreateMailbox => {
                let mb = &h.mailboxes[i];
                let command = Request::from(CreateMailbox {
                    address: mb.address.clone(),
                    name: mb.name.clone(),
                    ods: h.orgs[mb.org as usize].ods.clone(),
                    owner: self.address(mb.owner)?,
                    sponsored_by: mb.sponsor.map(|s| h.orgs[s as usize].ods.clone()),
                });
                (nas, Action::MailboxChange, command)
            }
            Step::AddMember => {
                let (mailbox, person) = h.memberships[i];
                let mailbox = h.mailboxes[mailbox as usize].address.clone();
                (
                    nas,
                    Action::MailboxChange,
                    Request::from(AddMember { mailbox, account: self.address(person)?, reason: None }),
                )
            }
            Step::MailboxAccessed => (
                Who::Feed,
                Action::DirectoryFeed,
                Request::from(RecordMailboxAccess { mailbox: h.mailboxes[i].address.clone() }),
            ),
            Step::Ticket(TicketStep::Log) => return self.log_ticket(e),
            Step::Ticket(TicketStep::Task) => {
                // A move puts the person's name in a new organisation, where
                // a namesake registered later is someone else.
                let t = &h.tickets[i];
                if let (Task::Move { to }, Some(p)) = (t.task, h.people.get(t.person as usize)) {
                    self.register_name(p, to);
                }
                match self.ticket_work(e, TicketStep::Task)? {
                    Some(work) => work,
                    None => return Ok(()),
                }
            }
            Step::Ticket(step) => match self.ticket_work(e, step)? {
                Some(work) => work,
                None => return Ok(()),
            },
        };
        self.act_on(who, action, e, &command)
    }

    /// Notes that a person's name is now registered in an organisation, and
    /// says whether someone of that name already was.
    fn register_name(&mut self, p: &Person, org: u32) -> bool {
        let key = (self.folds.0[usize::from(p.first)], self.folds.1[usize::from(p.last)], org);
        !self.names_in_orgs.insert(key)
    }

    fn create_account(&mut self, e: &Event) -> Result<(), ServiceError> {
        let h = self.history;
        let p = &h.people[e.subject as usize];
        let namesake = self.register_name(p, p.org);
        let command = CreateAccount {
            first: p.first_name().to_owned(),
            last: p.last_name().to_owned(),
            mobile: invent::mobile(e.subject),
            ods: h.orgs[p.org as usize].ods.clone(),
            email: invent::registration_email(p.first_name(), p.last_name(), e.subject),
            // Every planned person is someone different with their own mobile
            // and email, so a namesake in the organisation is someone else:
            // the case an operator answers with --not-duplicate. Only then,
            // so the demo still goes through the check everywhere else.
            not_duplicate: namesake,
        };
        let account = self.act(Who::Role(Role::Nas), Action::ComplexAccountTask, e, command)?.record;
        self.addresses[e.subject as usize] = Some(account.address.to_string());
        Ok(())
    }

    fn log_ticket(&mut self, e: &Event) -> Result<(), ServiceError> {
        let h = self.history;
        let t = &h.tickets[e.subject as usize];
        let (name, email, phone) = match h.people.get(t.person as usize) {
            Some(p) => (
                p.full_name(),
                invent::registration_email(p.first_name(), p.last_name(), t.person),
                invent::mobile(t.person),
            ),
            None => {
                let (first, last) =
                    (invent::FIRST_NAMES[usize::from(t.requester.0)], invent::LAST_NAMES[usize::from(t.requester.1)]);
                (
                    format!("{first} {last}"),
                    invent::registration_email(first, last, e.subject),
                    invent::mobile(e.subject % 1000),
                )
            }
        };
        let org = h.orgs.get(t.org as usize);
        let org_name = org.map_or("our organisation", |o| o.name.as_str());
        // An incomplete request lacks the detail its category needs most.
        let ods =
            org.map(|o| o.ods.clone()).filter(|_| !t.incomplete || t.category == Category::MissingPersonalAccount);
        let mailbox_name = org.filter(|_| t.category == Category::MissingPersonalAccount && !t.incomplete).map(|o| {
            o.mailboxes.first().map_or_else(|| format!("{org_name} office"), |m| h.mailboxes[*m as usize].name.clone())
        });
        let phoned = t.channel == Channel::Phone;
        let new = CreateTicket {
            category: t.category,
            channel: t.channel,
            received_at: Some(rfc3339(h.clock.at(t.received))),
            requester_name: name.clone(),
            requester_email: Some(email),
            requester_phone: phoned.then_some(phone),
            incomplete: t.incomplete || ods.is_none(),
            ods,
            account: None,
            mailbox: None,
            mailbox_name,
            subject: wording::subject(t.category, &name, org_name),
            body: wording::body(t.category, &name, org_name),
        };
        // The helpdesk takes the calls and its own mail, and everything
        // that arrives while the NAS is closed.
        let logger = if phoned || t.channel == Channel::EmailHelpdesk || !h.clock.is_open(e.at) {
            Role::Helpdesk
        } else {
            Role::Nas
        };
        let ticket = self.act(Who::Role(logger), Action::LogTicket, e, new)?.record;
        self.references[e.subject as usize] = Some(ticket.reference);
        Ok(())
    }

    /// The command for one step of work on a ticket, by whoever works its queue.
    fn ticket_work(&self, e: &Event, step: TicketStep) -> Result<Option<(Who, Action, Request)>, ServiceError> {
        let h = self.history;
        let t = &h.tickets[e.subject as usize];
        let reference = self.references[e.subject as usize]
            .ok_or_else(|| plan_fault(Claim::NAME, "work planned before its ticket"))?;
        let who = Who::Role(worker(t.queue));
        let work = Action::WorkTicket(t.queue);
        let command = match step {
            TicketStep::Log => return Ok(None),
            TicketStep::Claim => Request::from(Claim { reference }),
            TicketStep::Note(words) => {
                Request::from(Note { reference, text: wording::note(t.category, words).to_owned() })
            }
            TicketStep::Reply(words) => {
                Request::from(Reply { reference, text: wording::reply(t.category, words).to_owned() })
            }
            TicketStep::Status(status) => Request::from(SetStatus { reference, status }),
            TicketStep::Link => Request::from(Link {
                reference,
                account: if t.person == NONE { None } else { Some(self.address(t.person)?) },
                mailbox: h.mailboxes.get(t.mailbox as usize).map(|m| m.address.clone()),
            }),
            TicketStep::Task => return self.ticket_task(t, reference).map(|(a, c)| Some((who, a, c))),
        };
        Ok(Some((who, work, command)))
    }

    fn ticket_task(&self, t: &TicketPlan, reference: TicketRef) -> Result<(Action, Request), ServiceError> {
        let h = self.history;
        let address = self.address(t.person)?;
        let ticket = Some(reference);
        let mailbox = || h.mailboxes.get(t.mailbox as usize).map(|m| m.address.clone()).unwrap_or_default();
        Ok(match t.task {
            Task::None => return Err(plan_fault(Claim::NAME, "a task step with no task")),
            Task::Reset(proof) => {
                let verified_by = match proof {
                    Proof::SecurityQuestions => Verification::SecurityQuestions,
                    Proof::RegisteredMobile => Verification::RegisteredMobile,
                    Proof::Owner { owner, mobile } => {
                        Verification::Owner { owner: self.address(owner)?, mobile: invent::mobile(mobile) }
                    }
                };
                (Action::SimpleAccountTask, Request::from(ResetPassword { address, verified_by, ticket }))
            }
            Task::Unlock => (Action::SimpleAccountTask, Request::from(Unlock { address, ticket })),
            Task::HideMobile => {
                (Action::SimpleAccountTask, Request::from(SetMobileHidden { address, hidden: true, ticket }))
            }
            Task::Leaver => {
                (Action::ComplexAccountTask, Request::from(MarkLeaver { address, new_owner: None, ticket }))
            }
            Task::Move { to } => {
                let ods = h.orgs[to as usize].ods.clone();
                (Action::ComplexAccountTask, Request::from(Joiner { address, ods, mailboxes: Vec::new(), ticket }))
            }
            Task::AddMember => {
                (Action::MailboxChange, Request::from(AddMember { mailbox: mailbox(), account: address, reason: None }))
            }
            Task::NewOwner => {
                (Action::MailboxChange, Request::from(ChangeOwner { mailbox: mailbox(), owner: address }))
            }
            Task::Transfer { sponsor } => {
                let to = Some(h.orgs[sponsor as usize].ods.clone());
                (Action::ComplexAccountTask, Request::from(TransferAdministration { address, to }))
            }
        })
    }

    fn address(&self, person: u32) -> Result<String, ServiceError> {
        self.addresses.get(person as usize).cloned().flatten().ok_or_else(|| {
            let who = self.history.people.get(person as usize).map_or_else(|| "someone".to_owned(), Person::full_name);
            plan_fault(Sweep::NAME, &format!("{who} was used before their account existed"))
        })
    }

    /// Runs an operation at the event's instant. The planned role does it
    /// if the permission table lets that role do it then; otherwise the
    /// supervisor running the demo does, as a supervisor may at any hour.
    fn act<O: Registered>(&self, who: Who, action: Action, e: &Event, op: O) -> Result<O::Answer, ServiceError> {
        let (ctx, at) = self.ctx(who, action, e);
        self.service.execute(&ctx, &op).map_err(|err| fault(err, O::NAME, at))
    }

    /// [`Replay::act`] for an operation carried without its type.
    fn act_on(&self, who: Who, action: Action, e: &Event, request: &Request) -> Result<(), ServiceError> {
        let (ctx, at) = self.ctx(who, action, e);
        self.service.dispatch(&ctx, request, None).map(drop).map_err(|err| fault(err, request.name(), at))
    }

    fn ctx(&self, who: Who, action: Action, e: &Event) -> (Ctx, chrono::DateTime<chrono::Utc>) {
        let at = self.history.clock.at(e.at);
        let operator = match who {
            Who::Role(role) if authorise(role, self.history.clock.is_open(e.at), action).is_ok() => {
                let names: Vec<&str> = ROSTER.iter().filter(|(_, r)| *r == role).map(|(n, _)| *n).collect();
                names[e.subject as usize % names.len()]
            }
            _ => self.caller,
        };
        (Ctx::new(operator, at), at)
    }
}

/// A store failure stays one; a refusal is the plan's fault.
fn fault(err: ServiceError, name: &str, at: chrono::DateTime<chrono::Utc>) -> ServiceError {
    match err {
        ServiceError::Store(StoreError::Io { .. }) => err,
        refused => plan_fault(name, &format!("at {} the service said: {refused}", rfc3339(at))),
    }
}

/// A refusal during the replay is the demo's own mistake, never the
/// operator's: say so, and what to send with the report.
fn plan_fault(operation: &str, what: &str) -> ServiceError {
    ServiceError::BadInput(format!(
        "the demo could not replay `{}`: {what}. This is a fault in the demo builder, not in your data: \
         report it with the date and time the demo was built for",
        operation
    ))
}
