//! Reading a request out of an email: which ticket it belongs to, or what
//! a new ticket should say.
//!
//! Everything here is a proposal for the operator to confirm: a guessed
//! category, the requester, the ODS codes the text mentions (the caller
//! keeps the first one that names a known organisation) and a shared
//! mailbox name. Nothing here is applied to an account. Pure: the text
//! comes in, the proposal goes out.

use super::routing::Category;
use super::ticket::TicketRef;
use super::validate::OdsCode;

/// How a message was matched to an existing ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadBy {
    /// In-Reply-To or References named a message of that ticket.
    MessageId,
    /// The subject carries `[CD-000123]`.
    SubjectReference,
}

/// The `[CD-000123]` reference in a subject, if there is one.
pub fn subject_reference(subject: &str) -> Option<TicketRef> {
    let mut rest = subject;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        if let Some(close) = after.find(']') {
            let inside = &after[..close];
            if inside.len() > 3 && inside[..3].eq_ignore_ascii_case("cd-") {
                if let Ok(r) = inside.parse::<TicketRef>() {
                    return Some(r);
                }
            }
        }
        rest = after;
    }
    None
}

/// The ticket a message continues: one of the Message-IDs it answers
/// belongs to a ticket (`known` looks them up), or else its subject
/// carries a ticket reference. Message-IDs come first because a subject
/// can be edited and a reference mistyped.
pub fn thread_of(
    subject: &str,
    answers: &[String],
    mut known: impl FnMut(&str) -> Option<TicketRef>,
) -> Option<(TicketRef, ThreadBy)> {
    answers
        .iter()
        .find_map(|id| known(id))
        .map(|r| (r, ThreadBy::MessageId))
        .or_else(|| subject_reference(subject).map(|r| (r, ThreadBy::SubjectReference)))
}

/// What a new ticket from an email should say, for the operator to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub category: Category,
    pub requester_name: String,
    pub requester_email: Option<String>,
    /// ODS codes the text mentions, most likely first.
    pub ods_candidates: Vec<String>,
    pub mailbox_name: Option<String>,
}

/// Phrases that say what a request is about, most specific first: the first
/// category whose phrase is in the subject wins, else the first in the body.
const PHRASES: &[(Category, &[&str])] = &[
    (Category::SponsoredMailbox, &["sponsored mailbox", "legacy mailbox", "sponsored shared", "migrate our mailbox"]),
    (
        Category::MissingSharedMailbox,
        &[
            "missing shared mailbox",
            "cannot see the shared",
            "can't see the shared",
            "shared mailbox has gone",
            "team mailbox any more",
            "cannot find the team mailbox",
            "cannot find our shared",
        ],
    ),
    (
        Category::MailboxAccess,
        &[
            "access to the shared",
            "access to our shared",
            "shared mailbox access",
            "add me to",
            "add her to",
            "add him to",
            "give access",
            "access to oakwood",
            "mailbox access",
        ],
    ),
    (Category::OwnerChange, &["new owner", "owner change", "change the owner", "change of owner", "mailbox owner"]),
    (Category::IgRejection, &["dspt", "ig toolkit", "information governance", "data security and protection"]),
    (Category::DuplicateAccount, &["duplicate", "two accounts", "second account"]),
    (
        Category::MissingPersonalAccount,
        &["missing account", "cannot find my account", "no account", "my account has gone", "account is missing"],
    ),
    (Category::ActivationHelp, &["activat", "temporary password", "first login", "first time logging"]),
    (Category::Unlock, &["locked out", "unlock", "account locked", "is locked"]),
    (Category::DirectoryVisibility, &["directory", "hide my mobile", "hide my number", "mobile number visible"]),
    (
        Category::PasswordReset,
        &["password", "mot de passe", "パスワード", "can't log in", "cannot log in", "forgotten"],
    ),
    (
        Category::Leaver,
        &["leaver", "has left", "left us", "leaving us", "no longer works", "close his account", "close her account"],
    ),
    (Category::Move, &["moving to", "moved to", "move to another", "changing organisation", "joined us from"]),
    (Category::AccountTransfer, &["transfer"]),
    (
        Category::NewAccount,
        &["new starter", "new account", "new carer", "new member of staff", "joiner", "starting on", "starts on"],
    ),
];

/// The category the words suggest; `General` when none does.
pub fn propose_category(subject: &str, body: &str) -> Category {
    let subject = subject.to_lowercase();
    let body = body.to_lowercase();
    let find = |text: &str| PHRASES.iter().find(|(_, words)| words.iter().any(|w| text.contains(w))).map(|(c, _)| *c);
    find(&subject).or_else(|| find(&body)).unwrap_or(Category::General)
}

/// Words that may stand between "ODS" and the code itself.
const ODS_FILLERS: &[&str] = &["code", "is", "number", "no", "our", "-", ":", "="];

fn looks_like_code(token: &str, need_digit: bool) -> bool {
    (3..=6).contains(&token.len())
        && token.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        && token.chars().any(|c| c.is_ascii_uppercase())
        && (!need_digit || token.chars().any(|c| c.is_ascii_digit()))
}

/// ODS codes the text names: first those written after "ODS", then
/// free-standing codes of capitals and digits.
pub fn ods_candidates(text: &str) -> Vec<String> {
    let tokens: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '.' | '"' | '\''))
        .flat_map(|t| t.split_inclusive(':'))
        .map(|t| t.trim_end_matches(':'))
        .filter(|t| !t.is_empty())
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut push = |code: &str| {
        if let Ok(c) = OdsCode::parse(code) {
            if !out.contains(&c.to_string()) {
                out.push(c.to_string());
            }
        }
    };
    for (i, t) in tokens.iter().enumerate() {
        if t.eq_ignore_ascii_case("ods") {
            let next = tokens[i + 1..].iter().find(|n| !ODS_FILLERS.contains(&n.to_lowercase().as_str()));
            if let Some(code) =
                next.filter(|n| (3..=10).contains(&n.len()) && n.chars().all(|c| c.is_ascii_alphanumeric()))
            {
                push(code);
            }
        }
    }
    for t in &tokens {
        if looks_like_code(t, true) {
            push(t);
        }
    }
    out
}

/// A shared mailbox the text names: "shared mailbox: NAME", "shared
/// mailbox called NAME", or an nhs.net address that is not the sender's.
pub fn mailbox_name(text: &str, sender: Option<&str>) -> Option<String> {
    for line in text.lines() {
        let lower = line.to_lowercase();
        for marker in [
            "shared mailbox name",
            "shared mailbox is called",
            "shared mailbox called",
            "shared mailbox:",
            "mailbox name",
        ] {
            if let Some(at) = lower.find(marker) {
                let rest = line[at + marker.len()..].trim_start_matches([':', '-', ' ', '\t']);
                let rest = rest.strip_prefix("is ").unwrap_or(rest).trim_start_matches(['"', '“', ' ']).trim();
                let name = rest.trim_end_matches(['.', '"', '”']).trim();
                if !name.is_empty() && name.chars().count() <= 120 {
                    return Some(name.to_owned());
                }
            }
        }
    }
    text.split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';' | '(' | ')'))
        .map(|t| t.trim_end_matches('.').to_lowercase())
        .find(|t| t.ends_with("@nhs.net") && t.len() > 8 && Some(t.as_str()) != sender)
}

/// "priya.shah@x" reads as "Priya Shah" when the message gives no name.
fn name_from_address(address: &str) -> String {
    let local = address.split('@').next().unwrap_or("");
    local
        .split(['.', '_', '-'])
        .filter(|p| !p.is_empty() && p.chars().all(char::is_alphabetic))
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c.flat_map(char::to_lowercase)).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads a new request from its sender, subject and body.
pub fn propose(sender_name: Option<&str>, sender_address: Option<&str>, subject: &str, body: &str) -> Proposal {
    let requester_name = sender_name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .or_else(|| sender_address.map(name_from_address).filter(|n| !n.is_empty()))
        .unwrap_or_else(|| "unknown sender".to_owned());
    let text = format!("{subject}\n{body}");
    Proposal {
        category: propose_category(subject, body),
        requester_name,
        requester_email: sender_address.map(str::to_owned),
        ods_candidates: ods_candidates(&text),
        mailbox_name: mailbox_name(body, sender_address),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_references_table() {
        let cases: &[(&str, Option<u64>)] = &[
            ("Re: [CD-000123] New starter", Some(123)),
            ("RE: [cd-42] leaver", Some(42)),
            ("[CD-000007][CD-000008] two", Some(7)),
            ("[x] then [CD-000009]", Some(9)),
            ("CD-000123 without brackets", None),
            ("[CD-] nothing", None),
            ("[123] a bare number is not ours", None),
            ("[CD-12a]", None),
            ("[CD-000123", None),
        ];
        for (subject, want) in cases {
            assert_eq!(subject_reference(subject), want.map(TicketRef), "{subject}");
        }
    }

    #[test]
    fn message_ids_thread_before_the_subject() {
        let ours = |id: &str| (id == "cd-000007.ack@caredesk.invalid").then_some(TicketRef(7));
        let answers = vec!["other@x".to_owned(), "cd-000007.ack@caredesk.invalid".to_owned()];
        assert_eq!(thread_of("Re: [CD-000009] x", &answers, ours), Some((TicketRef(7), ThreadBy::MessageId)));
        assert_eq!(thread_of("Re: [CD-000009] x", &[], ours), Some((TicketRef(9), ThreadBy::SubjectReference)));
        assert_eq!(thread_of("Re: hello", &["other@x".to_owned()], ours), None);
    }

    #[test]
    fn categories_table() {
        use Category::*;
        let cases: &[(&str, &str, Category)] = &[
            ("Password reset please", "", PasswordReset),
            ("help", "I have forgotten my password", PasswordReset),
            ("Réinitialisation du mot de passe", "", PasswordReset),
            ("Locked out", "my password does not work", Unlock),
            ("Activation", "never got the temporary password", ActivationHelp),
            ("Hide my mobile from the directory", "", DirectoryVisibility),
            ("Leaver: Tom Baker", "", Leaver),
            ("Staff change", "Tom Baker has left us", Leaver),
            ("New starter needs an account", "", NewAccount),
            ("Fwd: missing shared mailbox", "", MissingSharedMailbox),
            ("Shared mailbox access for our deputy", "", MailboxAccess),
            ("Our DSPT was rejected", "", IgRejection),
            ("Duplicate account for Jo", "", DuplicateAccount),
            ("Account missing", "my account is missing since Friday", MissingPersonalAccount),
            ("Owner change", "please make Jo the new owner", OwnerChange),
            ("Legacy mailbox", "we have a sponsored mailbox", SponsoredMailbox),
            ("Question", "what time do you open?", General),
        ];
        for (subject, body, want) in cases {
            assert_eq!(propose_category(subject, body), *want, "{subject} / {body}");
        }
    }

    #[test]
    fn ods_codes_table() {
        let cases: &[(&str, &[&str])] = &[
            ("Our ODS code is VN3K7.", &["VN3K7"]),
            ("ODS: vxtlf", &["VXTLF"]),
            ("ODS V6D8J. Please close", &["V6D8J"]),
            ("(ODS code - 8SP22)", &["8SP22"]),
            ("we are VQM8F and the form is attached", &["VQM8F"]),
            ("ODS VXTLF, also mentioned V1234", &["VXTLF", "V1234"]),
            ("I AM VERY ANGRY", &[]),
            ("call 0333 200 1133", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(ods_candidates(text), want.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "{text}");
        }
    }

    #[test]
    fn mailbox_names_table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("Shared mailbox name: Sunrise Care Team", Some("Sunrise Care Team")),
            ("shared mailbox: sunrise office", Some("sunrise office")),
            ("mailbox name is \"Ivy House\"", Some("Ivy House")),
            ("the shared mailbox is called Oak Lodge Office.", Some("Oak Lodge Office")),
            ("Please give Lisa access to oakwood-care.team@nhs.net. Thanks", Some("oakwood-care.team@nhs.net")),
            ("write to me at priya.shah@nhs.net", None),
            ("nothing here", None),
        ];
        for (text, want) in cases {
            assert_eq!(mailbox_name(text, Some("priya.shah@nhs.net")).as_deref(), *want, "{text}");
        }
    }

    #[test]
    fn the_requester_comes_from_the_sender() {
        let p = propose(Some("Priya Shah"), Some("priya.shah@x.org"), "New starter", "ODS VN3K7");
        assert_eq!((p.requester_name.as_str(), p.category), ("Priya Shah", Category::NewAccount));
        assert_eq!(p.ods_candidates, vec!["VN3K7".to_owned()]);
        let unnamed = propose(None, Some("gareth.green@valleyview.org.uk"), "Leaver", "");
        assert_eq!(unnamed.requester_name, "Gareth Green");
        assert_eq!(propose(None, None, "x", "").requester_name, "unknown sender");
    }
}
