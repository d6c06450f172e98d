//! Operators, service targets, the SMS gateway setting and the calendar:
//! what supervisors change.

use super::{Ctx, Outcome, Prepared, Service, ServiceError, Subject, audit_json, not_found, outcome};
use crate::domain::hours::{BankHolidays, NasHours, assess_change, london_date};
use crate::domain::operator::{Operator, valid_username};
use crate::domain::permission::{Action, Role};
use crate::domain::policy::MAX_SMS_TIME_LIMIT_SECONDS;
use crate::domain::record::RecordMeta;
use crate::domain::refusal::Refusal;
use crate::service::command::Command;
use crate::store::Change;

impl Service {
    pub(super) fn operators_command(&self, ctx: &Ctx, command: &Command) -> Result<Outcome, ServiceError> {
        match command {
            Command::Init => self.init(ctx, command),
            Command::AddOperator { username, role } => {
                self.authorise(ctx, Action::ManageOperators)?;
                self.add_operator(ctx, command, username, *role)
            }
            Command::SetOperatorRole { username, role } => {
                self.authorise(ctx, Action::ManageOperators)?;
                self.change_operator(ctx, command, username, |op| op.role = *role)
            }
            Command::SetOperatorEnabled { username, enabled } => {
                self.authorise(ctx, Action::ManageOperators)?;
                if username == &ctx.operator && !enabled {
                    return Err(ServiceError::BadInput(
                        "you cannot disable your own operator account: ask another supervisor".into(),
                    ));
                }
                self.change_operator(ctx, command, username, |op| op.enabled = *enabled)
            }
            Command::SetTargets { nas, helpdesk, resolver } => {
                self.authorise(ctx, Action::SetPolicy)?;
                if nas.is_none() && helpdesk.is_none() && resolver.is_none() {
                    return Err(ServiceError::BadInput(
                        "give at least one service target (NAS, helpdesk or resolver minutes)".into(),
                    ));
                }
                if [nas, helpdesk, resolver].iter().any(|m| **m == Some(0)) {
                    return Err(ServiceError::BadInput("a service target must be at least one minute".into()));
                }
                self.set_policy(ctx, command, |p| {
                    let t = &mut p.targets;
                    t.nas_business_minutes = nas.unwrap_or(t.nas_business_minutes);
                    t.helpdesk_minutes = helpdesk.unwrap_or(t.helpdesk_minutes);
                    t.resolver_business_minutes = resolver.unwrap_or(t.resolver_business_minutes);
                })
            }
            Command::SetSmsCommand { command: program, time_limit } => {
                self.authorise(ctx, Action::SetPolicy)?;
                if let Some(seconds) = time_limit.filter(|s| !(1..=MAX_SMS_TIME_LIMIT_SECONDS).contains(s)) {
                    return Err(ServiceError::BadInput(format!(
                        "an SMS command time limit of {seconds} s is outside 1 to {MAX_SMS_TIME_LIMIT_SECONDS} s: \
                         the operator waits for the command while it runs"
                    )));
                }
                let program = program.as_ref().map(|p| p.trim().to_owned()).filter(|p| !p.is_empty());
                if program.is_some() && self.store.is_demo()? {
                    return Err(ServiceError::BadInput(
                        "this is a demo database: its mobile numbers are invented and may belong to real people, \
                         so it never sends text messages"
                            .into(),
                    ));
                }
                self.set_policy(ctx, command, |p| {
                    p.sms_command = program.clone();
                    p.sms_time_limit_seconds = time_limit.unwrap_or(p.sms_time_limit_seconds);
                })
            }
            Command::ImportCalendar { json, force } => {
                self.authorise(ctx, Action::SetPolicy)?;
                self.import_calendar(ctx, json, *force)
            }
            _ => unreachable!("not an operator command"),
        }
    }

    /// The first operator of an empty database is the one who created it.
    fn init(&self, ctx: &Ctx, command: &Command) -> Result<Outcome, ServiceError> {
        if !self.store.operators()?.is_empty() {
            return Err(ServiceError::BadInput(format!(
                "the database at {} is already set up: ask a supervisor to add you with `caredesk operator add`",
                self.store.path().display()
            )));
        }
        self.add_operator(ctx, command, &ctx.operator, Role::Supervisor)
    }

    fn add_operator(&self, ctx: &Ctx, command: &Command, username: &str, role: Role) -> Result<Outcome, ServiceError> {
        if !valid_username(username) {
            return Err(ServiceError::BadInput(format!(
                "{username:?} is not an operating-system user name: give the login name, e.g. jsmith"
            )));
        }
        if self.store.operator(username)?.is_some() {
            return Err(ServiceError::BadInput(format!(
                "{username} is already an operator: use `caredesk operator role {username} ROLE` to change the role"
            )));
        }
        let op = Operator {
            username: username.to_owned(),
            role,
            enabled: true,
            added_at: ctx.now,
            meta: RecordMeta::created(&ctx.operator, ctx.now),
        };
        let (_, entry) = self.run(ctx, command, || {
            let mut change = Change::new();
            change.put(None, &op)?;
            Ok(Prepared { change, subject: op.username.clone(), before: None, after: audit_json(&op), result: () })
        })?;
        Ok(outcome(format!("{username} is now an operator ({})", role.label()), Subject::Operator(op), &entry))
    }

    fn change_operator(
        &self,
        ctx: &Ctx,
        command: &Command,
        username: &str,
        edit: impl Fn(&mut Operator),
    ) -> Result<Outcome, ServiceError> {
        let (op, entry) = self.run(ctx, command, || {
            let old = self
                .store
                .operator(username)?
                .ok_or_else(|| not_found("operator", username, "see `caredesk operator list`"))?;
            let mut new = old.clone();
            edit(&mut new);
            if new == old {
                return Err(ServiceError::BadInput(format!("nothing to change for operator {username}")));
            }
            new.meta = old.meta.next(&ctx.operator, ctx.now);
            let mut change = Change::new();
            change.put(Some(&old), &new)?;
            Ok(Prepared {
                change,
                subject: username.to_owned(),
                before: audit_json(&old),
                after: audit_json(&new),
                result: new,
            })
        })?;
        let state = if op.enabled { "enabled" } else { "disabled" };
        Ok(outcome(format!("{username}: {} ({state})", op.role.label()), Subject::Operator(op), &entry))
    }

    fn set_policy(
        &self,
        ctx: &Ctx,
        command: &Command,
        edit: impl Fn(&mut crate::domain::policy::Policy),
    ) -> Result<Outcome, ServiceError> {
        let (policy, entry) = self.run(ctx, command, || {
            let old = self.store.policy()?.unwrap_or_default();
            let mut new = old.clone();
            edit(&mut new);
            let mut change = Change::new();
            change.set(&new)?;
            Ok(Prepared {
                change,
                subject: "policy".into(),
                before: audit_json(&old),
                after: audit_json(&new),
                result: new,
            })
        })?;
        self.replace_settings(None, Some(policy.clone()));
        Ok(outcome("policy updated", Subject::Policy(policy), &entry))
    }

    fn import_calendar(&self, ctx: &Ctx, json: &str, force: bool) -> Result<Outcome, ServiceError> {
        let calendar = BankHolidays::from_govuk_json(json)?;
        let change = assess_change(self.hours().holidays(), &calendar, london_date(ctx.now));
        if !change.is_plausible() && !force {
            return Err(
                Refusal::ImplausibleCalendar { concerns: change.concerns_text(), change: change.summary() }.into()
            );
        }
        let range = format!(
            "{} to {}",
            calendar.first_date().map(|d| d.to_string()).unwrap_or_default(),
            calendar.last_date().map(|d| d.to_string()).unwrap_or_default()
        );
        let mut summary = format!("{} England and Wales bank holidays, {range}", calendar.events().len());
        if !change.is_plausible() {
            summary.push_str(&format!(" (imported although {})", change.concerns_text()));
        }
        // The file itself is large; the audit entry records its extent and
        // the command keeps only what identifies it.
        let (_, entry) = self.run(ctx, &Command::ImportCalendar { json: summary.clone(), force }, || {
            let mut change = Change::new();
            change.set(&calendar)?;
            Ok(Prepared { change, subject: "calendar".into(), before: None, after: Some(summary.clone()), result: () })
        })?;
        self.replace_settings(Some(NasHours::new(calendar)), None);
        Ok(outcome(format!("calendar imported: {summary}"), Subject::Nothing, &entry))
    }
}
