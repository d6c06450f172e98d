//! Social care providers and the two facts about them that gate every
//! account: whether they meet the information-governance requirement, and
//! who administers their accounts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::names::named;
use super::record::RecordMeta;
use super::refusal::Refusal;
use super::validate::OdsCode;

/// Information-governance standing. The requirement was IG Toolkit level 2
/// when the service began; the Data Security and Protection Toolkit (DSPT)
/// replaced it, where "Standards Met" or better is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::VariantArray, strum::IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum IgStatus {
    NotMet,
    #[strum(serialize = "ig-toolkit-level-2")]
    IgToolkitLevel2,
    DsptApproachingStandards,
    DsptStandardsMet,
    DsptStandardsExceeded,
}

impl IgStatus {
    pub fn meets_requirement(self) -> bool {
        matches!(self, IgStatus::IgToolkitLevel2 | IgStatus::DsptStandardsMet | IgStatus::DsptStandardsExceeded)
    }
}

named!(IgStatus, "IG status", aliases: [
    "yes" => IgStatus::DsptStandardsMet,
    "met" => IgStatus::DsptStandardsMet,
    "no" => IgStatus::NotMet,
]);

/// Who administers an organisation's (or one account's) NHSmail accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Administration {
    /// The national administration service.
    Nas,
    /// The local administrator of a sponsoring organisation.
    Local { sponsor: OdsCode },
}

impl Administration {
    pub fn describe(&self) -> String {
        match self {
            Administration::Nas => "the national administration service".to_owned(),
            Administration::Local { sponsor } => format!("the local administrator of {sponsor}"),
        }
    }

    /// Refuses work that belongs to a local administrator.
    pub fn require_nas(&self, subject: &str) -> Result<(), Refusal> {
        match self {
            Administration::Nas => Ok(()),
            Administration::Local { sponsor } => {
                Err(Refusal::AdministeredLocally { subject: subject.to_owned(), sponsor: sponsor.clone() })
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub ods: OdsCode,
    pub name: String,
    pub ig: IgStatus,
    pub administered_by: Administration,
    #[serde(with = "super::time::ts")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "super::time::ts_opt")]
    pub closed_at: Option<DateTime<Utc>>,
    pub meta: RecordMeta,
}

impl Organisation {
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }

    /// Whether new accounts (and joiners) may be placed in this organisation.
    pub fn may_hold_accounts(&self) -> Result<(), Refusal> {
        if !self.is_open() {
            return Err(Refusal::OrganisationClosed { ods: self.ods.clone() });
        }
        if !self.ig.meets_requirement() {
            return Err(Refusal::IgRequirementNotMet {
                ods: self.ods.clone(),
                name: self.name.clone(),
                status: self.ig,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ig_requirement_table() {
        let cases = [
            (IgStatus::NotMet, false),
            (IgStatus::IgToolkitLevel2, true),
            (IgStatus::DsptApproachingStandards, false),
            (IgStatus::DsptStandardsMet, true),
            (IgStatus::DsptStandardsExceeded, true),
        ];
        for (status, meets) in cases {
            assert_eq!(status.meets_requirement(), meets, "{status:?}");
            assert_eq!(status.slug().parse::<IgStatus>().ok(), Some(status));
        }
        assert_eq!("yes".parse::<IgStatus>().ok(), Some(IgStatus::DsptStandardsMet));
        assert_eq!("No".parse::<IgStatus>().ok(), Some(IgStatus::NotMet));
        assert_eq!("maybe".parse::<IgStatus>().ok(), None);
    }

    #[test]
    fn an_organisation_failing_ig_says_what_the_provider_must_do() {
        let at = DateTime::from_timestamp(1_767_225_600, 0).unwrap();
        let org = Organisation {
            ods: OdsCode::parse("V1234").unwrap(),
            name: "Sunrise Care".into(),
            ig: IgStatus::DsptApproachingStandards,
            administered_by: Administration::Nas,
            created_at: at,
            closed_at: None,
            meta: RecordMeta::created("test", at),
        };
        let msg = org.may_hold_accounts().unwrap_err().to_string();
        assert!(msg.contains("V1234") && msg.contains("Standards Met"), "{msg}");
    }
}
