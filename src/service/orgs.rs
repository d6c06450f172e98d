//! Organisations: add, record IG standing, close.

use serde::{Deserialize, Serialize};

use super::{Ctx, Done, Operation, Prepared, Service, ServiceError, audit_json, not_found};
use crate::domain::organisation::{Administration, IgStatus, Organisation};
use crate::domain::permission::Action;
use crate::domain::record::RecordMeta;
use crate::domain::validate::{OdsCode, display_name};
use crate::store::Change;

/// Adds a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddOrganisation {
    pub ods: String,
    pub name: String,
    pub ig: IgStatus,
    /// `None` or "nas" for the NAS, else the sponsoring organisation's ODS code.
    pub administered_by: Option<String>,
}

impl Operation for AddOrganisation {
    type Answer = Done<Organisation>;
    const NAME: &'static str = "org.add";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Organisation>, ServiceError> {
        service.authorise(ctx, Action::OrganisationChange)?;
        let ods = OdsCode::parse(&self.ods)?;
        let name = display_name(&self.name, "organisation name")?;
        let administered_by = service.administration(self.administered_by.as_deref())?;
        if service.store.organisation(&ods)?.is_some() {
            return Err(ServiceError::BadInput(format!("organisation {ods} already exists")));
        }
        let org = Organisation {
            ods: ods.clone(),
            name,
            ig: self.ig,
            administered_by,
            created_at: ctx.now,
            closed_at: None,
            meta: RecordMeta::created(&ctx.operator, ctx.now),
        };
        let (_, entry) = service.run(ctx, || {
            let mut change = Change::new();
            change.put(None, &org)?;
            Ok(Prepared { change, subject: ods.to_string(), before: None, after: audit_json(&org), result: () })
        })?;
        let note = if org.ig.meets_requirement() { "" } else { " (does not meet the IG requirement yet)" };
        Ok(Done::new(format!("added {} {}{note}", org.ods, org.name), org, &entry))
    }
}

/// Records a new information-governance standing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetIgStatus {
    pub ods: String,
    pub ig: IgStatus,
}

impl Operation for SetIgStatus {
    type Answer = Done<Organisation>;
    const NAME: &'static str = "org.ig-status";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Organisation>, ServiceError> {
        service.authorise(ctx, Action::OrganisationChange)?;
        service.edit_org(ctx, &self.ods, |org| {
            if org.ig == self.ig {
                return Err(ServiceError::BadInput(format!("{} is already recorded as {}", org.ods, self.ig.slug())));
            }
            org.ig = self.ig;
            Ok(())
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseOrganisation {
    pub ods: String,
}

impl Operation for CloseOrganisation {
    type Answer = Done<Organisation>;
    const NAME: &'static str = "org.close";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Organisation>, ServiceError> {
        service.authorise(ctx, Action::OrganisationChange)?;
        service.edit_org(ctx, &self.ods, |org| {
            if org.closed_at.is_some() {
                return Err(ServiceError::BadInput(format!("{} is already closed", org.ods)));
            }
            org.closed_at = Some(ctx.now);
            Ok(())
        })
    }
}

impl Service {
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
            not_found("organisation", ods.to_string(), "check the ODS code, or add the organisation first")
        })
    }

    fn edit_org(
        &self,
        ctx: &Ctx,
        ods: &str,
        edit: impl Fn(&mut Organisation) -> Result<(), ServiceError>,
    ) -> Result<Done<Organisation>, ServiceError> {
        let ods = OdsCode::parse(ods)?;
        let (org, entry) = self.run(ctx, || {
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
        Ok(Done::new(format!("{} {}: {state}", org.ods, org.name), org, &entry))
    }
}
