//! Leaver: name a new owner for what the account owns, confirm, mark.
//!
//! The form offers only accounts that may own the mailboxes; the service
//! still decides, and its refusal comes back to the form.

use chrono::{DateTime, Utc};
use ratatui::text::Line;

use super::details::day;
use super::task::{Next, TICKET_HINT, Task, TaskKind, chosen, fit, person_with_state, recorded_on, ticket_field};
use crate::console::desk::DeskExt;
use crate::console::form::Form;
use crate::console::pane::Cx;
use crate::console::text::clean;
use crate::domain::account::Account;
use crate::domain::mailbox::check_owner;
use crate::domain::refusal::Refusal;
use crate::service::AccountMatch;
use crate::service::AccountView;
use crate::service::ops::{FindAccounts, MarkLeaver, ShowMailbox};

/// Accounts of an organisation offered as a leaver's successor.
const CANDIDATES: usize = 50;

pub(super) struct LeaverTask {
    account: Account,
    owns: Vec<String>,
    member_of: Vec<String>,
    /// Who may take over the account's mailboxes: their members first,
    /// then the rest of the organisation; then the members the rules will
    /// not take, each with the reason.
    candidates: Vec<Account>,
    /// Why each candidate cannot own the mailboxes, if it cannot.
    unfit: Vec<Option<String>>,
    /// Which candidates are members of the mailboxes.
    members: Vec<bool>,
}

impl LeaverTask {
    /// The account as it now is, after a colleague changed it.
    pub(super) fn rebase(&mut self, account: &Account) {
        self.account = account.clone();
    }

    pub(super) fn open(view: &AccountView, cx: &mut Cx<'_>) -> Task {
        let account = view.account.clone();
        let (candidates, members) = if view.owns.is_empty() { Default::default() } else { Self::candidates(view, cx) };
        let unfit = candidates
            .iter()
            .map(|a| {
                check_owner(a).err().map(|refusal| match refusal {
                    Refusal::UnsuitableOwner { why, .. } => why,
                    other => other.to_string(),
                })
            })
            .collect();
        let task = LeaverTask {
            account,
            owns: view.owns.clone(),
            member_of: view.member_of.clone(),
            candidates,
            unfit,
            members,
        };
        let mut form = Form::new(format!("Mark leaver: {}", task.account.address));
        if !task.owns.is_empty() {
            let options = if task.candidates.is_empty() {
                vec!["(nobody suitable: type an address below)".to_owned()]
            } else {
                (0..task.candidates.len())
                    .map(|i| {
                        let role = task.members[i].then_some("member");
                        person_with_state(&task.candidates[i], role, task.unfit[i].as_deref())
                    })
                    .collect()
            };
            form = form.choice("New owner", options, 0).text(
                "Or address",
                &format!("another account of {} to own the mailbox", task.account.ods),
                "",
            );
        }
        form = form.text("Ticket", TICKET_HINT, "");
        task.edited(&mut form, cx.now());
        Task::new(TaskKind::Leaver(task), form)
    }

    /// A successor must belong to the organisation of every mailbox it
    /// takes over and be fit to own one. Those who are fit come first,
    /// members before the rest; members who are not fit follow, so the
    /// operator sees why the person they expected is not offered. Each
    /// with whether it is a member.
    fn candidates(view: &AccountView, cx: &mut Cx<'_>) -> (Vec<Account>, Vec<bool>) {
        let mut found: Vec<Account> = Vec::new();
        let mut member_ids = std::collections::HashSet::new();
        let mut organisations = Vec::new();
        for mailbox in &view.owns {
            match cx.desk.call(ShowMailbox { address: mailbox.to_owned() }) {
                Ok(m) => {
                    organisations.push(m.mailbox.ods.clone());
                    member_ids.extend(m.members.iter().map(|a| a.id));
                    found.extend(m.members);
                }
                Err(e) => cx.fail(&e),
            }
        }
        match cx
            .desk
            .call(FindAccounts { text: view.account.ods.as_str().to_owned(), limit: CANDIDATES })
            .map(AccountMatch::accounts)
        {
            Ok(more) => found.extend(more),
            Err(e) => cx.fail(&e),
        }
        if organisations.is_empty() {
            organisations.push(view.account.ods.clone());
        }
        let mut seen = std::collections::HashSet::new();
        found.retain(|a| {
            a.id != view.account.id
                && organisations.iter().all(|ods| *ods == a.ods)
                && (check_owner(a).is_ok() || member_ids.contains(&a.id))
                && seen.insert(a.id)
        });
        // Stable: within each group the order above stays.
        found.sort_by_key(|a| check_owner(a).is_err());
        let members = found.iter().map(|a| member_ids.contains(&a.id)).collect();
        (found, members)
    }

    /// When the account would be deleted if marked now, as the lifecycle
    /// rules work it out.
    fn deleted_on(&self, now: DateTime<Utc>) -> Option<String> {
        let marked = self.account.mark_leaver("", now).ok()?;
        marked.lifecycle_due().map(|due| day(due.at, now))
    }

    fn notes(&self, now: DateTime<Utc>) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        if !self.owns.is_empty() {
            lines.push(Line::from(format!(
                "{} owns {}: name who takes over before the account is marked.",
                clean(&self.account.display_name()),
                self.owns.join(", ")
            )));
        }
        lines.extend(self.leaving_lines(now));
        lines
    }

    fn leaving_lines(&self, now: DateTime<Utc>) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        if !self.member_of.is_empty() {
            lines.push(Line::from(format!("Removed from {}.", self.member_of.join(", "))));
        }
        if let Some(on) = self.deleted_on(now) {
            lines.push(Line::from(format!(
                "Deleted on {on} unless a new organisation takes the account as a joiner first."
            )));
        }
        lines
    }

    /// Who the form names as the new owner: an address typed, else the
    /// account chosen, refused if the rules will not take it.
    fn new_owner(&self, form: &Form) -> Result<Option<String>, String> {
        if self.owns.is_empty() {
            return Ok(None);
        }
        let typed = form.optional("Or address");
        let picked = chosen(form, "New owner", &self.candidates);
        if typed.is_none()
            && let Some(i) = picked.and_then(|p| self.candidates.iter().position(|a| a.id == p.id))
            && let Some(why) = &self.unfit[i]
        {
            return Err(format!("{} cannot own the mailbox: {why}; choose another", self.candidates[i].address));
        }
        let picked = picked.map(|a| a.address.to_string());
        Some(typed.or(picked))
            .flatten()
            .map(Some)
            .ok_or_else(|| format!("type the address of the account of {} that will own the mailbox", self.account.ods))
    }

    /// The form says all that saving it does, as the choice changes, so
    /// Enter marks the leaver with no second question.
    pub(super) fn edited(&self, form: &mut Form, now: DateTime<Utc>) {
        let mut lines = Vec::new();
        if let Ok(Some(owner)) = self.new_owner(form) {
            for mailbox in &self.owns {
                lines.push(Line::from(format!("{mailbox} passes to {}.", clean(&owner))));
            }
        }
        lines.extend(self.notes(now));
        lines.extend(recorded_on(ticket_field(form).ok().flatten().as_ref()));
        form.notes = fit(lines);
    }

    pub(super) fn submit(&self, form: &Form, _now: DateTime<Utc>) -> Result<Next, String> {
        let ticket = ticket_field(form)?;
        let new_owner = self.new_owner(form)?;
        let command = MarkLeaver { address: self.account.address.to_string(), new_owner, ticket };
        Ok(Next::Run(command.into()))
    }
}
