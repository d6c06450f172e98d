//! Operators, service targets, the SMS gateway setting and the calendar:
//! what supervisors change.

use serde::{Deserialize, Serialize};

use super::{Ctx, Done, Operation, Prepared, Request, Service, ServiceError, audit_json, not_found};
use crate::domain::hours::{BankHolidays, NasHours, assess_change, london_date};
use crate::domain::operator::{Operator, valid_username};
use crate::domain::permission::{Action, Role};
use crate::domain::policy::{MAX_SMS_TIME_LIMIT_SECONDS, Policy};
use crate::domain::record::RecordMeta;
use crate::domain::refusal::Refusal;
use crate::store::Change;

/// Registers the caller as the first supervisor of an empty database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Init;

impl Operation for Init {
    type Answer = Done<Operator>;
    const NAME: &'static str = "operator.init";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Operator>, ServiceError> {
        service.init(ctx)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddOperator {
    pub username: String,
    pub role: Role,
}

impl Operation for AddOperator {
    type Answer = Done<Operator>;
    const NAME: &'static str = "operator.add";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Operator>, ServiceError> {
        service.authorise(ctx, Action::ManageOperators)?;
        service.add_operator(ctx, &self.username, self.role)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetOperatorRole {
    pub username: String,
    pub role: Role,
}

impl Operation for SetOperatorRole {
    type Answer = Done<Operator>;
    const NAME: &'static str = "operator.role";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Operator>, ServiceError> {
        service.authorise(ctx, Action::ManageOperators)?;
        service.change_operator(ctx, &self.username, |op| op.role = self.role)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetOperatorEnabled {
    pub username: String,
    pub enabled: bool,
}

impl Operation for SetOperatorEnabled {
    type Answer = Done<Operator>;
    const NAME: &'static str = "operator.enabled";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Operator>, ServiceError> {
        service.authorise(ctx, Action::ManageOperators)?;
        if self.username == ctx.operator && !self.enabled {
            return Err(ServiceError::BadInput(
                "you cannot disable your own operator account: ask another supervisor".into(),
            ));
        }
        service.change_operator(ctx, &self.username, |op| op.enabled = self.enabled)
    }
}

/// One operator: role, whether enabled, and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowOperator {
    pub username: String,
}

impl Operation for ShowOperator {
    type Answer = Operator;
    const NAME: &'static str = "operator.show";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Operator, ServiceError> {
        service.authorise(ctx, Action::View)?;
        service
            .store
            .operator(&self.username)?
            .ok_or_else(|| not_found("operator", self.username.clone(), "check the name against the list of operators"))
    }
}

/// Service targets in minutes per queue; a queue left out keeps its target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetTargets {
    pub nas: Option<u32>,
    pub helpdesk: Option<u32>,
    pub resolver: Option<u32>,
}

impl Operation for SetTargets {
    type Answer = Done<Policy>;
    const NAME: &'static str = "policy.targets";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Policy>, ServiceError> {
        let SetTargets { nas, helpdesk, resolver } = *self;
        service.authorise(ctx, Action::SetPolicy)?;
        if nas.is_none() && helpdesk.is_none() && resolver.is_none() {
            return Err(ServiceError::BadInput(
                "give at least one service target (NAS, helpdesk or resolver minutes)".into(),
            ));
        }
        if [nas, helpdesk, resolver].contains(&Some(0)) {
            return Err(ServiceError::BadInput("a service target must be at least one minute".into()));
        }
        service.set_policy(ctx, |p| {
            let t = &mut p.targets;
            t.nas_business_minutes = nas.unwrap_or(t.nas_business_minutes);
            t.helpdesk_minutes = helpdesk.unwrap_or(t.helpdesk_minutes);
            t.resolver_business_minutes = resolver.unwrap_or(t.resolver_business_minutes);
        })
    }
}

/// The program that sends text messages, or none (the outbox only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetSmsCommand {
    pub command: Option<String>,
    /// Seconds the command may run; `None` keeps the limit in force.
    pub time_limit: Option<u32>,
}

impl Operation for SetSmsCommand {
    type Answer = Done<Policy>;
    const NAME: &'static str = "policy.sms-command";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Policy>, ServiceError> {
        service.authorise(ctx, Action::SetPolicy)?;
        let time_limit = self.time_limit;
        if let Some(seconds) = time_limit.filter(|s| !(1..=MAX_SMS_TIME_LIMIT_SECONDS).contains(s)) {
            return Err(ServiceError::BadInput(format!(
                "an SMS command time limit of {seconds} s is outside 1 to {MAX_SMS_TIME_LIMIT_SECONDS} s: \
                 the operator waits for the command while it runs"
            )));
        }
        let program = self.command.as_ref().map(|p| p.trim().to_owned()).filter(|p| !p.is_empty());
        if program.is_some() && service.store.is_demo()? {
            return Err(ServiceError::BadInput(
                "this is a demo database: its mobile numbers are invented and may belong to real people, \
                 so it never sends text messages"
                    .into(),
            ));
        }
        service.set_policy(ctx, |p| {
            p.sms_command = program.clone();
            p.sms_time_limit_seconds = time_limit.unwrap_or(p.sms_time_limit_seconds);
        })
    }
}

/// Replaces the bank holiday calendar with a GOV.UK `bank-holidays.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCalendar {
    pub json: String,
    /// Import it even though it looks wrong against the one in force.
    pub force: bool,
}

impl Operation for ImportCalendar {
    type Answer = Done<()>;
    const NAME: &'static str = "policy.calendar";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<()>, ServiceError> {
        service.authorise(ctx, Action::SetPolicy)?;
        service.import_calendar(ctx, &self.json, self.force)
    }
}

impl Service {
    /// The first operator of an empty database is the one who created it.
    fn init(&self, ctx: &Ctx) -> Result<Done<Operator>, ServiceError> {
        if !self.store.operators()?.is_empty() {
            return Err(ServiceError::BadInput(format!(
                "the database at {} is already set up: ask a supervisor to add you as an operator",
                self.store.path().display()
            )));
        }
        self.add_operator(ctx, &ctx.operator, Role::Supervisor)
    }

    fn add_operator(&self, ctx: &Ctx, username: &str, role: Role) -> Result<Done<Operator>, ServiceError> {
        if !valid_username(username) {
            return Err(ServiceError::BadInput(format!(
                "{username:?} is not an operating-system user name: give the login name, e.g. jsmith"
            )));
        }
        if self.store.operator(username)?.is_some() {
            return Err(ServiceError::BadInput(format!(
                "{username} is already an operator: change their role instead"
            )));
        }
        let op = Operator {
            username: username.to_owned(),
            role,
            enabled: true,
            added_at: ctx.now,
            meta: RecordMeta::created(&ctx.operator, ctx.now),
        };
        let (_, entry) = self.run(ctx, || {
            let mut change = Change::new();
            change.put(None, &op)?;
            Ok(Prepared { change, subject: op.username.clone(), before: None, after: audit_json(&op), result: () })
        })?;
        Ok(Done::new(format!("{username} is now an operator ({})", role.label()), op, &entry))
    }

    fn change_operator(
        &self,
        ctx: &Ctx,
        username: &str,
        edit: impl Fn(&mut Operator),
    ) -> Result<Done<Operator>, ServiceError> {
        let (op, entry) = self.run(ctx, || {
            let old = self
                .store
                .operator(username)?
                .ok_or_else(|| not_found("operator", username, "check the name against the list of operators"))?;
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
        Ok(Done::new(format!("{username}: {} ({state})", op.role.label()), op, &entry))
    }

    fn set_policy(&self, ctx: &Ctx, edit: impl Fn(&mut Policy)) -> Result<Done<Policy>, ServiceError> {
        let (policy, entry) = self.run(ctx, || {
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
        Ok(Done::new("policy updated", policy, &entry))
    }

    fn import_calendar(&self, ctx: &Ctx, json: &str, force: bool) -> Result<Done<()>, ServiceError> {
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
        let text =
            serde_json::to_string(&Request::from(ImportCalendar { json: summary.clone(), force })).unwrap_or_default();
        let (_, entry) = self.run(&ctx.audited_as(text), || {
            let mut change = Change::new();
            change.set(&calendar)?;
            Ok(Prepared { change, subject: "calendar".into(), before: None, after: Some(summary.clone()), result: () })
        })?;
        self.replace_settings(Some(NasHours::new(calendar)), None);
        Ok(Done::new(format!("calendar imported: {summary}"), (), &entry))
    }
}
