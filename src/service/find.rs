//! Finding people and shared mailboxes from what an operator typed.
//!
//! The shape of the text picks the index: an address (has `@`), a mobile
//! number (digits), or words. Words are matched in any order against every
//! word of a name, of the organisation's name and the ODS code
//! (`domain::search` decides what matches and how well). Candidates come
//! from the indexes only, bounded by [`CANDIDATES`], never from a scan:
//! the most selective term picks them, and every term is then checked
//! against each candidate.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{Service, ServiceError};
use crate::domain::account::Account;
use crate::domain::mailbox::Mailbox;
use crate::domain::search::{Rank, rank_mailbox, rank_person, terms};
use crate::domain::validate::{Mobile, OdsCode, fold_for_search};
use crate::store::EncodedAccount;

/// The most records one search reads to rank: enough for every person
/// sharing a common surname in a large organisation, small enough that a
/// search typed letter by letter stays quick at national scale.
pub const CANDIDATES: usize = 2_000;

/// The most organisations one term is matched against by name.
pub const ORGS_PER_TERM: usize = 20;

/// An account found by a search, with its organisation's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountMatch {
    pub account: Account,
    /// `None` when the organisation record is missing.
    pub organisation: Option<String>,
}

/// A shared mailbox found by a search, with its organisation's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxMatch {
    pub mailbox: Mailbox,
    pub organisation: Option<String>,
}

/// Organisation names read once per search.
#[derive(Default)]
struct OrgNames(HashMap<OdsCode, Option<String>>);

impl AccountMatch {
    /// The accounts of a search, without their organisations' names.
    pub fn accounts(found: Vec<AccountMatch>) -> Vec<Account> {
        found.into_iter().map(|m| m.account).collect()
    }
}

impl MailboxMatch {
    /// The mailboxes of a search, without their organisations' names.
    pub fn mailboxes(found: Vec<MailboxMatch>) -> Vec<Mailbox> {
        found.into_iter().map(|m| m.mailbox).collect()
    }
}

impl OrgNames {
    fn get(&mut self, service: &Service, ods: &OdsCode) -> Result<Option<String>, ServiceError> {
        if let Some(name) = self.0.get(ods) {
            return Ok(name.clone());
        }
        let name = service.store.organisation(ods)?.map(|o| o.name);
        self.0.insert(ods.clone(), name.clone());
        Ok(name)
    }
}

/// Candidates in the order they were first offered, each once, at most
/// [`CANDIDATES`]: by id, with the record when the index that offered it
/// held it already (a covering index, or a list read by id), so ranking
/// reads again only what came as a bare id.
struct Pool<T = ()> {
    offered: Vec<(u64, Option<T>)>,
    seen: std::collections::HashSet<u64>,
}

impl<T> Default for Pool<T> {
    fn default() -> Self {
        Pool { offered: Vec::new(), seen: Default::default() }
    }
}

impl<T> Pool<T> {
    fn offer(&mut self, ids: impl IntoIterator<Item = u64>) {
        self.offer_found(ids.into_iter().map(|id| (id, None)));
    }

    fn offer_records(&mut self, records: Vec<T>, id: impl Fn(&T) -> u64) {
        self.offer_found(records.into_iter().map(|r| (id(&r), Some(r))));
    }

    fn offer_found(&mut self, found: impl IntoIterator<Item = (u64, Option<T>)>) {
        for (id, record) in found {
            if self.is_full() {
                return;
            }
            if self.seen.insert(id) {
                self.offered.push((id, record));
            }
        }
    }

    /// Whether nothing more can be offered: the reads that would offer it
    /// are skipped.
    fn is_full(&self) -> bool {
        self.offered.len() >= CANDIDATES
    }

    fn ids(self) -> Vec<u64> {
        self.offered.into_iter().map(|(id, _)| id).collect()
    }

    /// Each candidate's record: the one offered, or `read` by id (`None`:
    /// gone since its index entry was read, so left out).
    fn records<E>(self, mut read: impl FnMut(u64) -> Result<Option<T>, E>) -> impl Iterator<Item = Result<T, E>> {
        self.offered.into_iter().filter_map(move |(id, record)| match record {
            Some(r) => Some(Ok(r)),
            None => read(id).transpose(),
        })
    }
}

/// Where one term's candidates would come from, and how many there are
/// (counted up to [`CANDIDATES`]).
struct Source {
    /// Records with a word equal to the term, then starting with it.
    by_word: Vec<u64>,
    /// Organisations the term names: by ODS code, or a word of their name.
    orgs: Vec<OdsCode>,
    /// The term is an existing organisation's ODS code.
    is_code: bool,
}

impl Source {
    /// A rough size, to pick the most selective term: an organisation is
    /// counted as a page of candidates, since its records are read by org.
    fn size(&self) -> usize {
        if self.is_code { 0 } else { self.by_word.len() + self.orgs.len() * CANDIDATES }
    }
}

impl Service {
    /// Accounts matching what an operator typed, best first: an address
    /// (has `@`), a mobile (digits), or words of a name, organisation or
    /// ODS code in any order ("mensah nicola", "Zoë", "VBDDU").
    pub fn find_accounts(&self, text: &str, limit: usize) -> Result<Vec<Account>, ServiceError> {
        Ok(self.find_account_matches(text, limit)?.into_iter().map(|m| m.account).collect())
    }

    /// [`Service::find_accounts`] with each account's organisation name.
    pub fn find_account_matches(&self, text: &str, limit: usize) -> Result<Vec<AccountMatch>, ServiceError> {
        let text = text.trim();
        let mut names = OrgNames::default();
        let with_names = |accounts: Vec<Account>, names: &mut OrgNames| {
            accounts
                .into_iter()
                .map(|account| Ok(AccountMatch { organisation: names.get(self, &account.ods)?, account }))
                .collect::<Result<Vec<_>, ServiceError>>()
        };
        if text.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        if text.contains('@') {
            return with_names(self.store.accounts_by_address_prefix(&text.to_lowercase(), limit)?, &mut names);
        }
        if let Some(digits) = mobile_prefix(text) {
            let found = match Mobile::parse(text) {
                Ok(mobile) => self.store.account_by_mobile(&mobile)?.into_iter().collect(),
                Err(_) => self.store.accounts_by_mobile_prefix(&digits, limit)?,
            };
            return with_names(found, &mut names);
        }
        let terms = terms(text);
        let mut pool: Pool<EncodedAccount> = Pool::default();
        // A surname and forename typed whole, in either order: the pair
        // index answers these exactly, however common the surname.
        for (last, first) in name_splits(&terms) {
            if pool.is_full() {
                break;
            }
            pool.offer_records(self.store.encoded_accounts_by_name(&last, Some(&first), CANDIDATES)?, |a| a.id());
        }
        // Then surnames starting with a term, in name order: the order a
        // list of equally good matches is shown in.
        for term in &terms {
            if pool.is_full() {
                break;
            }
            pool.offer_records(self.store.encoded_accounts_by_name(term, None, CANDIDATES)?, |a| a.id());
        }
        // A full pool takes nothing more, so the word and organisation
        // indexes are not read for it.
        if let Some(source) =
            self.most_selective_unless_full(&pool, &terms, |t, exact, n| self.store.account_ids_with_word(t, exact, n))?
        {
            pool.offer(source.by_word);
            for ods in &source.orgs {
                if pool.is_full() {
                    break;
                }
                pool.offer_records(self.store.encoded_accounts_in_org(ods, CANDIDATES)?, |a| a.id());
            }
        }
        // Candidates are ranked on the leading fields of their encoding, and
        // only the matches returned are decoded whole. An organisation's
        // name is read only for a candidate with a term its own names and
        // ODS code leave unmatched (the name cannot change a rank they
        // give), and for the matches returned.
        let mut ranked: Vec<(Rank, EncodedAccount)> = Vec::new();
        for candidate in pool.records(|id| self.store.encoded_account(id)) {
            let candidate = candidate?;
            let rank = candidate.with_head(|head| -> Result<Option<Rank>, ServiceError> {
                let Some(p) = &head.personal else { return Ok(None) };
                let rank_with =
                    |organisation: Option<&str>| rank_person(&terms, p.first_name, p.last_name, head.ods, organisation);
                Ok(match (rank_with(None), OdsCode::parse(head.ods)) {
                    (Some(rank), _) => Some(rank),
                    (None, Ok(ods)) => rank_with(names.get(self, &ods)?.as_deref()),
                    (None, Err(_)) => None,
                })
            });
            if let Some(rank) = rank?? {
                ranked.push((rank, candidate));
            }
        }
        // Stable: equally good matches keep the order the indexes gave.
        ranked.sort_by(|(a, _), (b, _)| a.cmp(b));
        let shown = ranked.into_iter().take(limit).map(|(_, c)| c.account()).collect::<Result<_, _>>()?;
        let mut found = with_names(shown, &mut names)?;
        if found.is_empty() && !text.contains(' ') {
            // Maybe the operator typed a full address's local part.
            found = with_names(self.store.accounts_by_address_prefix(&text.to_lowercase(), limit)?, &mut names)?;
        }
        Ok(found)
    }

    /// Mailboxes by address, or words of the display name, organisation or
    /// ODS code in any order; best first.
    pub fn find_mailboxes(&self, text: &str, limit: usize) -> Result<Vec<Mailbox>, ServiceError> {
        Ok(self.find_mailbox_matches(text, limit)?.into_iter().map(|m| m.mailbox).collect())
    }

    /// [`Service::find_mailboxes`] with each mailbox's organisation name.
    pub fn find_mailbox_matches(&self, text: &str, limit: usize) -> Result<Vec<MailboxMatch>, ServiceError> {
        let text = text.trim();
        let mut names = OrgNames::default();
        let mut found: Vec<MailboxMatch> = Vec::new();
        if text.is_empty() || limit == 0 {
            return Ok(found);
        }
        let by_address = |found: &mut Vec<MailboxMatch>, names: &mut OrgNames| -> Result<(), ServiceError> {
            for mailbox in self.store.mailboxes_by_address_prefix(&text.to_lowercase(), limit - found.len())? {
                if !found.iter().any(|f| f.mailbox.id == mailbox.id) {
                    found.push(MailboxMatch { organisation: names.get(self, &mailbox.ods)?, mailbox });
                }
            }
            Ok(())
        };
        if text.contains('@') {
            by_address(&mut found, &mut names)?;
            return Ok(found);
        }
        let terms = terms(text);
        let mut pool: Pool<Mailbox> = Pool::default();
        // Display names starting with the whole text first, in name order.
        pool.offer_records(self.store.mailboxes_named(&fold_for_search(text), CANDIDATES)?, |m| m.id);
        if let Some(source) =
            self.most_selective_unless_full(&pool, &terms, |t, exact, n| self.store.mailbox_ids_with_word(t, exact, n))?
        {
            pool.offer(source.by_word);
            for ods in &source.orgs {
                if pool.is_full() {
                    break;
                }
                pool.offer_records(self.store.mailboxes_in_org(ods, CANDIDATES)?, |m| m.id);
            }
        }
        // As for accounts: the organisation's name only where it decides.
        let mut ranked: Vec<(Rank, Mailbox)> = Vec::new();
        for mailbox in pool.records(|id| self.store.mailbox(id)) {
            let mailbox = mailbox?;
            let rank_with = |organisation: Option<&str>| {
                rank_mailbox(&terms, &mailbox.display_name, mailbox.ods.as_str(), organisation)
            };
            let rank = match rank_with(None) {
                Some(rank) => Some(rank),
                None => rank_with(names.get(self, &mailbox.ods)?.as_deref()),
            };
            if let Some(rank) = rank {
                ranked.push((rank, mailbox));
            }
        }
        ranked.sort_by(|(a, _), (b, _)| a.cmp(b));
        for mailbox in ranked.into_iter().take(limit).map(|(_, m)| m) {
            found.push(MailboxMatch { organisation: names.get(self, &mailbox.ods)?, mailbox });
        }
        if found.len() < limit && !text.contains(' ') {
            by_address(&mut found, &mut names)?;
        }
        Ok(found)
    }

    /// [`Service::most_selective`], or `None` without reading anything when
    /// `pool` can take no more.
    fn most_selective_unless_full<T>(
        &self,
        pool: &Pool<T>,
        terms: &[String],
        with_word: impl Fn(&str, bool, usize) -> Result<Vec<u64>, crate::store::StoreError>,
    ) -> Result<Option<Source>, ServiceError> {
        if pool.is_full() { Ok(None) } else { self.most_selective(terms, with_word) }
    }

    /// The term whose candidates are fewest, with those candidates; `None`
    /// when some term can match nothing, so nothing can match every term.
    fn most_selective(
        &self,
        terms: &[String],
        with_word: impl Fn(&str, bool, usize) -> Result<Vec<u64>, crate::store::StoreError>,
    ) -> Result<Option<Source>, ServiceError> {
        let mut best: Option<Source> = None;
        for term in terms {
            let mut words: Pool = Pool::default();
            words.offer(with_word(term, true, CANDIDATES)?);
            words.offer(with_word(term, false, CANDIDATES)?);
            let by_word = words.ids();
            let code = OdsCode::parse(term).ok().filter(|c| self.store.organisation(c).ok().flatten().is_some());
            let source = match code {
                Some(code) => Source { by_word, orgs: vec![code], is_code: true },
                None => Source { orgs: self.store.orgs_with_word(term, ORGS_PER_TERM)?, by_word, is_code: false },
            };
            if source.by_word.is_empty() && source.orgs.is_empty() {
                return Ok(None);
            }
            if best.as_ref().is_none_or(|b| source.size() < b.size()) {
                best = Some(source);
            }
        }
        Ok(best)
    }
}

/// Every way of reading the terms as a whole surname and a forename (its
/// start, as typed so far): "olivia ap dafydd" as surname "ap dafydd" with
/// forename "olivia", and so on, both orders.
fn name_splits(terms: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for at in 1..terms.len() {
        let (head, tail) = (terms[..at].join(" "), terms[at..].join(" "));
        out.push((tail.clone(), head.clone()));
        out.push((head, tail));
    }
    out
}

/// The digits of a mobile number being typed, in national form.
fn mobile_prefix(text: &str) -> Option<String> {
    let compact: String = text.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.')).collect();
    let digits = compact.strip_prefix("+44").map(|rest| format!("0{rest}")).unwrap_or(compact);
    (digits.len() >= 3 && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_prefixes_are_digits_in_national_form() {
        assert_eq!(mobile_prefix("07700 900").as_deref(), Some("07700900"));
        assert_eq!(mobile_prefix("+44 7700").as_deref(), Some("07700"));
        assert_eq!(mobile_prefix("07"), None);
        assert_eq!(mobile_prefix("smith"), None);
    }

    #[test]
    fn a_name_is_read_every_way_round() {
        let terms: Vec<String> = ["olivia", "ap", "dafydd"].iter().map(|s| (*s).to_owned()).collect();
        let splits = name_splits(&terms);
        assert!(splits.contains(&("ap dafydd".to_owned(), "olivia".to_owned())), "{splits:?}");
        assert!(splits.contains(&("olivia".to_owned(), "ap dafydd".to_owned())), "{splits:?}");
        assert_eq!(splits.len(), 4);
        assert!(name_splits(&terms[..1]).is_empty());
    }
}
