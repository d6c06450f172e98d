//! What each kind of line must say, checked the way the service will check
//! it, so that every bad line is found before anything is written.
//!
//! These checks only read. They repeat the service's rules rather than
//! replace them: each command is checked again when it runs, and a refusal
//! then (something these checks could not foresee) is still reported
//! against its line.

use std::collections::HashMap;

use super::{Bad, Check};
use crate::domain::account::Account;
use crate::domain::address::{NhsMailAddress, address_stem};
use crate::domain::mailbox::{check_member, check_owner};
use crate::domain::organisation::IgStatus;
use crate::domain::refusal::Refusal;
use crate::domain::validate::{Email, Mobile, OdsCode, display_name, fold_for_search, person_name};
use crate::service::Request;
use crate::service::ops::{AddMember, AddOrganisation, CreateAccount, CreateMailbox};

/// A line's values by column name; absent optional columns read as empty.
pub(super) type Fields = HashMap<&'static str, String>;

fn get<'f>(fields: &'f Fields, column: &str) -> &'f str {
    fields.get(column).map_or("", String::as_str)
}

impl Check<'_> {
    pub(super) fn organisation(&mut self, f: &Fields, line: u64) -> Result<Vec<Request>, Bad> {
        let ods = OdsCode::parse(get(f, "ods"))?;
        self.once(format!("ods {ods}"), line, |at| {
            format!("ODS code {ods} is also on line {at}: list each organisation once")
        })?;
        let store = self.service.store();
        if store.organisation(&ods)?.is_some() {
            return Err(format!("organisation {ods} already exists: remove this line").into());
        }
        let name = display_name(get(f, "name"), "organisation name")?;
        let given = get(f, "ig_status");
        let ig = given.parse::<IgStatus>().map_err(|e| format!("ig_status {given:?} is not understood: {e}"))?;
        let administered_by = match get(f, "administered_by") {
            "" => None,
            nas if nas.eq_ignore_ascii_case("nas") => None,
            sponsor => {
                let sponsor = OdsCode::parse(sponsor)?;
                if sponsor == ods {
                    return Err("an organisation cannot be its own sponsor: leave administered_by empty, or nas, \
                                for the NAS"
                        .to_owned()
                        .into());
                }
                if !self.new_orgs.contains(&sponsor) && store.organisation(&sponsor)?.is_none() {
                    return Err(match self.seen.get(&format!("ods {sponsor}")) {
                        Some(at) => {
                            format!("the sponsor {sponsor} is on line {at}, which cannot be imported: fix that line")
                        }
                        None => format!(
                            "the sponsor {sponsor} is not a known organisation: add it first, or on an earlier line"
                        ),
                    }
                    .into());
                }
                Some(sponsor.to_string())
            }
        };
        self.new_orgs.insert(ods.clone());
        Ok(vec![Request::from(AddOrganisation { ods: ods.to_string(), name, ig, administered_by })])
    }

    pub(super) fn account(&mut self, f: &Fields, line: u64) -> Result<Vec<Request>, Bad> {
        let first = person_name(get(f, "first_name"), "first name")?;
        let last = person_name(get(f, "last_name"), "last name")?;
        address_stem(&first, &last)?;
        let mobile = Mobile::parse(get(f, "mobile"))?;
        self.once(format!("mobile {}", mobile.as_str()), line, |at| {
            format!("mobile {mobile} is also on line {at}: a person has one account, so each mobile appears once")
        })?;
        let email = Email::parse(get(f, "email"))?;
        self.once(format!("email {email}"), line, |at| {
            format!("email {email} is also on line {at}: give each person the personal email they registered with")
        })?;
        let ods = OdsCode::parse(get(f, "ods"))?;
        let store = self.service.store();
        let org = store
            .organisation(&ods)?
            .ok_or_else(|| format!("organisation {ods} does not exist: import it first (an orgs file)"))?;
        org.may_hold_accounts()?;
        org.administered_by.require_nas(&format!("{} ({})", org.name, org.ods))?;
        if let Some(holder) = store.account_by_mobile(&mobile)? {
            return Err(Refusal::MobileInUse { masked: mobile.masked(), holder: holder.address }.into());
        }
        // Import cannot answer the duplicate question for the operator: a
        // second person of the same name is created at the console instead.
        let at_console = "create it at the console and answer the duplicate check with --not-duplicate";
        let same_name = format!("name {} {} {ods}", fold_for_search(&first), fold_for_search(&last));
        self.once(same_name, line, |at| {
            format!("{first} {last} of {ods} is also on line {at}: if these are two people, {at_console}")
        })?;
        let matches = self.service.likely_duplicates(&first, &last, &ods, Some(&email))?;
        if !matches.is_empty() {
            let matches: Vec<String> =
                matches.iter().map(|a| format!("{} ({}, {})", a.address, a.display_name(), a.ods)).collect();
            return Err(format!(
                "this person may already have an account: {}; if this is someone else, {at_console}",
                matches.join(", ")
            )
            .into());
        }
        Ok(vec![Request::from(CreateAccount {
            first,
            last,
            mobile: mobile.as_str().to_owned(),
            ods: ods.to_string(),
            email: email.to_string(),
            not_duplicate: false,
        })])
    }

    pub(super) fn mailbox(&mut self, f: &Fields, line: u64) -> Result<Vec<Request>, Bad> {
        let address = NhsMailAddress::parse(get(f, "address"))?;
        self.once(format!("address {address}"), line, |at| {
            format!("{address} is also on line {at}: list each mailbox once")
        })?;
        let store = self.service.store();
        if store.mailbox_by_address(address.as_str())?.is_some()
            || store.account_by_address(address.as_str())?.is_some()
        {
            return Err(format!("{address} is already in use: choose another address").into());
        }
        let name = display_name(get(f, "name"), "mailbox name")?;
        let ods = OdsCode::parse(get(f, "ods"))?;
        let org = store
            .organisation(&ods)?
            .ok_or_else(|| format!("organisation {ods} does not exist: import it first (an orgs file)"))?;
        org.may_hold_accounts()?;
        let sponsored_by = match get(f, "sponsored_by") {
            "" => {
                org.administered_by.require_nas(&format!("{} ({})", org.name, org.ods))?;
                None
            }
            sponsor => {
                let sponsor = OdsCode::parse(sponsor)?;
                if store.organisation(&sponsor)?.is_none() {
                    return Err(format!("the sponsor {sponsor} is not a known organisation: import it first").into());
                }
                Some(sponsor)
            }
        };
        let owner = self.existing_account(get(f, "owner"), "owner")?;
        check_owner(&owner)?;
        if owner.ods != ods {
            let why = format!("they belong to {}, not {ods}", owner.ods);
            return Err(Refusal::UnsuitableOwner { address: owner.address, why }.into());
        }
        let mut members: Vec<NhsMailAddress> = Vec::new();
        for given in get(f, "members").split(';').map(str::trim).filter(|m| !m.is_empty()) {
            let member = self.existing_account(given, "member")?;
            check_member(&member)?;
            if members.contains(&member.address) {
                return Err(format!("member {} is listed twice: list each member once", member.address).into());
            }
            // The owner is a member from the start.
            if member.id != owner.id {
                members.push(member.address);
            }
        }
        if let Some(sponsor) = sponsored_by.as_ref().filter(|_| !members.is_empty()) {
            return Err(format!(
                "a legacy mailbox sponsored by {sponsor} takes no members here, as only {sponsor}'s local \
                 administrator may change it: leave members empty"
            )
            .into());
        }
        let mut commands = vec![Request::from(CreateMailbox {
            address: address.to_string(),
            name,
            ods: ods.to_string(),
            owner: owner.address.to_string(),
            sponsored_by: sponsored_by.map(|s| s.to_string()),
        })];
        commands.extend(
            members.iter().map(|m| {
                Request::from(AddMember { mailbox: address.to_string(), account: m.to_string(), reason: None })
            }),
        );
        Ok(commands)
    }

    fn existing_account(&self, given: &str, role: &str) -> Result<Account, Bad> {
        let address = NhsMailAddress::parse(given)?;
        match self.service.store().account_by_address(address.as_str())? {
            Some(account) => Ok(account),
            None => {
                Err(format!("{role} {address} has no account: check the address, or import the account first").into())
            }
        }
    }
}
