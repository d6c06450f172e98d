//! Organisations: add, record IG standing, close.

use super::{Ctx, Outcome, Prepared, Service, ServiceError, Subject, audit_json, not_found, outcome};
use crate::domain::organisation::{Administration, Organisation};
use crate::domain::permission::Action;
use crate::domain::record::RecordMeta;
use crate::domain::validate::{OdsCode, display_name};
use crate::service::command::Command;
use crate::store::Change;

impl Service {
    pub(super) fn org_command(&self, ctx: &Ctx, command: &Command) -> Result<Outcome, ServiceError> {
        self.authorise(ctx, Action::OrganisationChange)?;
        match command {
            Command::AddOrganisation { ods, name, ig, administered_by } => {
                let ods = OdsCode::parse(ods)?;
                let name = display_name(name, "organisation name")?;
                let administered_by = self.administration(administered_by.as_deref())?;
                if self.store.organisation(&ods)?.is_some() {
                    return Err(ServiceError::BadInput(format!(
                        "organisation {ods} already exists: see `caredesk org show {ods}`"
                    )));
                }
                let org = Organisation {
                    ods: ods.clone(),
                    name,
                    ig: *ig,
                    administered_by,
                    created_at: ctx.now,
                    closed_at: None,
                    meta: RecordMeta::created(&ctx.operator, ctx.now),
                };
                let (_, entry) = self.run(ctx, command, || {
                    let mut change = Change::new();
                    change.put(None, &org)?;
                    Ok(Prepared { change, subject: ods.to_string(), before: None, after: audit_json(&org), result: () })
                })?;
                let note = if org.ig.meets_requirement() { "" } else { " (does not meet the IG requirement yet)" };
                Ok(outcome(format!("added {} {}{note}", org.ods, org.name), Subject::Organisation(org), &entry))
            }
            Command::SetIgStatus { ods, ig } => self.edit_org(ctx, command, ods, |org| {
                if org.ig == *ig {
                    return Err(ServiceError::BadInput(format!("{} is already recorded as {}", org.ods, ig.slug())));
                }
                org.ig = *ig;
                Ok(())
            }),
            Command::CloseOrganisation { ods } => self.edit_org(ctx, command, ods, |org| {
                if org.closed_at.is_some() {
                    return Err(ServiceError::BadInput(format!("{} is already closed", org.ods)));
                }
                org.closed_at = Some(ctx.now);
                Ok(())
            }),
            _ => unreachable!("not an organisation command"),
        }
    }

    /// `None` or "nas" for the NAS; otherwise the sponsoring organisation's ODS code.
    pub(super) fn administration(&self, given: Option<&str>) -> Result<Administration, ServiceError> {
        match given.map(str::trim) {
            None | Some("") => Ok(Administration::Nas),
            Some(s) if s.eq_ignore_ascii_case("nas") => Ok(Administration::Nas),
            Some(s) => {
                let sponsor = OdsCode::parse(s)?;
                if self.store.organisation(&sponsor)?.is_none() {
                    return Err(not_found(
                        "organisation",
                        sponsor.to_string(),
                        "add the sponsoring organisation first",
                    ));
                }
                Ok(Administration::Local { sponsor })
            }
        }
    }

    pub(super) fn load_org(&self, ods: &OdsCode) -> Result<Organisation, ServiceError> {
        self.store.organisation(ods)?.ok_or_else(|| {
            not_found("organisation", ods.to_string(), "check the ODS code, or add it with `caredesk org add`")
        })
    }

    fn edit_org(
        &self,
        ctx: &Ctx,
        command: &Command,
        ods: &str,
        edit: impl Fn(&mut Organisation) -> Result<(), ServiceError>,
    ) -> Result<Outcome, ServiceError> {
        let ods = OdsCode::parse(ods)?;
        let (org, entry) = self.run(ctx, command, || {
            let old = self.load_org(&ods)?;
            let mut new = old.clone();
            edit(&mut new)?;
            new.meta = old.meta.next(&ctx.operator, ctx.now);
            let mut change = Change::new();
            change.put(Some(&old), &new)?;
            Ok(Prepared {
                change,
                subject: ods.to_string(),
                before: audit_json(&old),
                after: audit_json(&new),
                result: new,
            })
        })?;
        let state = if org.is_open() { org.ig.slug() } else { "closed" };
        Ok(outcome(format!("{} {}: {state}", org.ods, org.name), Subject::Organisation(org), &entry))
    }
}
