//! Text modules: named replies and notes a supervisor keeps, and anyone
//! fills in for a ticket.

use serde::{Deserialize, Serialize};

use super::{Ctx, Done, Operation, Prepared, Service, ServiceError, audit_json, not_found};
use crate::domain::permission::Action;
use crate::domain::record::RecordMeta;
use crate::domain::text_module::{Fill, MAX_MODULES, SHIPPED, TextKind, TextModule, check_body, check_name, render};
use crate::domain::ticket::{TicketRef, missing_details};
use crate::store::Change;

/// Adds a text module (supervisors).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddText {
    pub name: String,
    pub kind: TextKind,
    pub body: String,
}

impl Operation for AddText {
    type Answer = Done<TextModule>;
    const NAME: &'static str = "text.add";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<TextModule>, ServiceError> {
        service.authorise(ctx, Action::SetPolicy)?;
        let name = check_name(&self.name).map_err(bad)?;
        let body = check_body(&crate::text::body(&self.body)).map_err(bad)?;
        if service.store.text_module(&name)?.is_some() {
            return Err(ServiceError::BadInput(format!(
                "there is already a text module {name}: change it with `caredesk text edit {name}`"
            )));
        }
        if service.store.text_modules(MAX_MODULES)?.len() >= MAX_MODULES {
            return Err(ServiceError::BadInput(format!(
                "there are already {MAX_MODULES} text modules, the most kept: remove some first"
            )));
        }
        let text = TextModule { name, kind: self.kind, body, meta: RecordMeta::created(&ctx.operator, ctx.now) };
        service.write_text(ctx, None, text, "added")
    }
}

/// Changes a text module's kind or body (supervisors).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditText {
    pub name: String,
    pub kind: Option<TextKind>,
    pub body: Option<String>,
}

impl Operation for EditText {
    type Answer = Done<TextModule>;
    const NAME: &'static str = "text.edit";
    const ACTS_ON: Option<&'static str> = Some("text module");
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<TextModule>, ServiceError> {
        service.authorise(ctx, Action::SetPolicy)?;
        let old = service.load_text(&self.name)?;
        let mut new = old.clone();
        new.meta = old.meta.next(&ctx.operator, ctx.now);
        if let Some(kind) = self.kind {
            new.kind = kind;
        }
        if let Some(body) = &self.body {
            new.body = check_body(&crate::text::body(body)).map_err(bad)?;
        }
        if new.kind == old.kind && new.body == old.body {
            return Err(ServiceError::BadInput(format!("text module {} already says that", old.name)));
        }
        service.write_text(ctx, Some(&old), new, "changed")
    }
}

/// Removes a text module (supervisors).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoveText {
    pub name: String,
}

impl Operation for RemoveText {
    type Answer = Done<TextModule>;
    const NAME: &'static str = "text.remove";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<TextModule>, ServiceError> {
        service.authorise(ctx, Action::SetPolicy)?;
        let old = service.load_text(&self.name)?;
        let (_, entry) = service.run(ctx, || {
            let mut change = Change::new();
            change.remove(&old);
            Ok(Prepared {
                change,
                subject: format!("text {}", old.name),
                before: audit_json(&old),
                after: None,
                result: (),
            })
        })?;
        Ok(Done::new(format!("text module {} removed", old.name), old, &entry))
    }
}

/// Writes the texts the service ships with, those not there yet, as one
/// change: run after `init` and by the demo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedTexts {}

impl Operation for SeedTexts {
    type Answer = Done<Vec<TextModule>>;
    const NAME: &'static str = "text.seed";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Vec<TextModule>>, ServiceError> {
        service.authorise(ctx, Action::SetPolicy)?;
        let mut added = Vec::new();
        for (name, kind, body) in SHIPPED {
            if service.store.text_module(name)?.is_none() {
                let body = check_body(body).map_err(bad)?;
                added.push(TextModule {
                    name: name.to_owned(),
                    kind,
                    body,
                    meta: RecordMeta::created(&ctx.operator, ctx.now),
                });
            }
        }
        if added.is_empty() {
            return Err(ServiceError::BadInput("every shipped text module is already there".into()));
        }
        let (_, entry) = service.run(ctx, || {
            let mut change = Change::new();
            for t in &added {
                change.put(None, t)?;
            }
            let names: Vec<&str> = added.iter().map(|t| t.name.as_str()).collect();
            Ok(Prepared {
                change,
                subject: "text modules".into(),
                before: None,
                after: Some(names.join(", ")),
                result: (),
            })
        })?;
        Ok(Done::new(format!("{} text modules added", added.len()), added, &entry))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListTexts {}

impl Operation for ListTexts {
    type Answer = Vec<TextModule>;
    const NAME: &'static str = "text.list";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Vec<TextModule>, ServiceError> {
        service.authorise(ctx, Action::View)?;
        Ok(service.store.text_modules(MAX_MODULES)?)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowText {
    pub name: String,
}

impl Operation for ShowText {
    type Answer = TextModule;
    const NAME: &'static str = "text.show";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<TextModule, ServiceError> {
        service.authorise(ctx, Action::View)?;
        service.load_text(&self.name)
    }
}

/// A text module filled in for one ticket, by the caller, now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderText {
    pub name: String,
    pub reference: TicketRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedText {
    pub name: String,
    pub kind: TextKind,
    pub reference: TicketRef,
    pub text: String,
}

impl Operation for RenderText {
    type Answer = RenderedText;
    const NAME: &'static str = "text.render";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<RenderedText, ServiceError> {
        service.authorise(ctx, Action::View)?;
        let module = service.load_text(&self.name)?;
        let t = service.load_ticket(self.reference)?;
        let missing = missing_details(t.category, &t.requester.name, t.ods.as_ref(), t.mailbox_name.as_deref());
        let opening = service.hours().next_opening(ctx.now).with_timezone(&chrono_tz::Europe::London);
        let fill = Fill {
            requester: t.requester.name.clone(),
            reference: t.reference.to_string(),
            next_opening: opening.format("%A %-d %B %Y at %H:%M").to_string(),
            operator: ctx.operator.clone(),
            missing: missing.iter().map(|d| d.label().to_owned()).collect(),
        };
        let text = render(&module.body, &fill).map_err(bad)?;
        Ok(RenderedText { name: module.name, kind: module.kind, reference: t.reference, text })
    }
}

fn bad(e: crate::domain::text_module::BadText) -> ServiceError {
    ServiceError::BadInput(e.to_string())
}

impl Service {
    fn load_text(&self, name: &str) -> Result<TextModule, ServiceError> {
        self.store
            .text_module(name.trim())?
            .ok_or_else(|| not_found("text module", name.trim().to_owned(), "see the names with `caredesk text list`"))
    }

    fn write_text(
        &self,
        ctx: &Ctx,
        old: Option<&TextModule>,
        new: TextModule,
        what: &str,
    ) -> Result<Done<TextModule>, ServiceError> {
        let (_, entry) = self.run(ctx, || {
            let mut change = Change::new();
            change.put(old, &new)?;
            Ok(Prepared {
                change,
                subject: format!("text {}", new.name),
                before: old.and_then(audit_json),
                after: audit_json(&new),
                result: (),
            })
        })?;
        Ok(Done::new(format!("text module {} {what}", new.name), new, &entry))
    }
}
