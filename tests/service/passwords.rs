//! Password resets and the text messages that carry them.

use super::*;

/// Every file under `dir`, read whole.
fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_temporary_password_is_never_stored_nor_shown_in_the_audit_log() {
    let (desk, gateway) = Desk::recording();
    sunrise(&desk);
    let created = desk.sup(&create_account("Jo", "Smith", &mobile(1), "V1234", "jo@example.org", false));
    let form = ticket_form(Category::PasswordReset, "Jo Smith", Some("V1234"));
    let t = ticket_of(&desk.sup(&form));
    let reset = desk.sup(&ResetPassword {
        address: "jo.smith@nhs.net".into(),
        verified_by: Verification::RegisteredMobile,
        ticket: Some(t),
    });

    let sent = gateway.messages();
    assert_eq!(sent.len(), 2, "one text at creation, one at the reset");
    let passwords: Vec<String> = sent.iter().map(|m| password_in(&m.text)).collect();
    for (message, password) in sent.iter().zip(&passwords) {
        assert_eq!(message.to.as_str(), mobile(1));
        assert_eq!(password.len(), 12, "{:?}", message.text);
        assert_ne!(password, PASSWORD_MASK);
    }
    assert_ne!(passwords[0], passwords[1]);
    assert_eq!(receipt(&reset).delivery, Delivery::Sent);

    let ctx = Ctx::new(SUPERVISOR, in_hours());
    let audit = desk.service.execute(&ctx, &ListAudit { before: None, limit: 1000 }).unwrap();
    assert_eq!(audit.len() as u64, desk.audit_head());
    let outbox = desk.service.execute(&ctx, &ListOutbox { limit: 1000 }).unwrap();
    assert_eq!(outbox.len(), 2);
    let timeline = serde_json::to_string(&ticket(&desk, t)).unwrap();
    for password in &passwords {
        for entry in &audit {
            let json = serde_json::to_string(entry).unwrap();
            assert!(!json.contains(password.as_str()), "audit entry {} holds the password", entry.seq);
        }
        for message in &outbox {
            assert!(!message.text.contains(password.as_str()), "outbox #{} holds the password", message.seq);
        }
        assert!(!timeline.contains(password.as_str()), "the ticket holds the password");
        assert!(!created.summary.contains(password.as_str()) && !reset.summary.contains(password.as_str()));
    }
    for message in &outbox {
        assert!(message.text.contains(PASSWORD_MASK), "outbox #{}: {:?}", message.seq, message.text);
        assert_eq!(message.delivery, Delivery::Sent, "the gateway's answer is recorded");
    }

    // And nothing on disk: the scan does see stored text, just not the password.
    desk.service.store().flush().unwrap();
    let files = files_under(&desk.db_path());
    assert!(files.iter().any(|(_, bytes)| contains_bytes(bytes, b"jo.smith@nhs.net")), "the scan reads the records");
    for password in &passwords {
        for (path, bytes) in &files {
            assert!(!contains_bytes(bytes, password.as_bytes()), "{} holds the password", path.display());
        }
    }
}

/// Sunrise Care with Al Owner owning its shared mailbox, and Jo Smith, who
/// cannot answer security questions, asking for a reset on a ticket.
fn owner_verified_setup(desk: &Desk) -> TicketRef {
    sunrise(desk);
    desk.new_account("Al", "Owner", &mobile(2), "V1234");
    desk.new_mailbox("sunrise.care@nhs.net", "Sunrise Care shared", "V1234", "al.owner@nhs.net");
    desk.new_account("Jo", "Smith", &mobile(1), "V1234");
    let form = ticket_form(Category::PasswordReset, "Jo Smith", Some("V1234"));
    ticket_of(&desk.sup(&form))
}

#[test]
fn an_owner_verified_reset_records_every_step_on_the_ticket() {
    let desk = Desk::new();
    let t = owner_verified_setup(&desk);
    let before = desk.audit_head();
    let done = desk.ok(
        "sup",
        out_of_hours(),
        &ResetPassword {
            address: "jo.smith@nhs.net".into(),
            verified_by: Verification::Owner { owner: "al.owner@nhs.net".into(), mobile: "07700 900001".into() },
            ticket: Some(t),
        },
    );
    assert_eq!(desk.audit_head(), before + 1, "the reset and its ticket steps are one change");
    let r = receipt(&done);
    assert_eq!((r.sent_to.as_str(), &r.delivery), ("07*** ***001", &Delivery::KeptInOutbox));

    let ticket = ticket(&desk, t);
    let texts: Vec<&str> = ticket.timeline.iter().map(|e| e.text.as_str()).collect();
    let has = |needle: &str| texts.iter().any(|t| t.contains(needle));
    assert!(has("al.owner@nhs.net (Al Owner), owner of sunrise.care@nhs.net"), "{texts:#?}");
    assert!(has("confirmed they checked the caller locally"), "{texts:#?}");
    assert!(has("owner confirmed the mobile for the temporary password: 07*** ***001"), "{texts:#?}");
    assert!(has(&format!("temporary password issued to 07*** ***001 (outbox #{})", r.outbox)), "{texts:#?}");
    assert!(!texts.iter().any(|t| t.contains("07700900001") || t.contains("07700 900001")), "{texts:#?}");
    assert_eq!(ticket.account, Some(desk.account("jo.smith@nhs.net").id), "the ticket is linked to the account");

    let ctx = Ctx::new(SUPERVISOR, in_hours());
    let outbox = desk.service.execute(&ctx, &ListOutbox { limit: 10 }).unwrap();
    let kept = outbox.iter().find(|m| m.seq == r.outbox).expect("the outbox entry the ticket names");
    assert_eq!((kept.delivery.clone(), kept.ticket), (Delivery::KeptInOutbox, Some(t)));
    assert!(kept.text.contains(PASSWORD_MASK));
    let account = desk.account("jo.smith@nhs.net");
    assert!(account.must_change_password);
    assert_eq!(account.temp_password_issued_at, Some(out_of_hours()));
}

#[test]
fn the_owner_of_another_organisations_mailbox_cannot_verify_a_caller() {
    let desk = Desk::new();
    let t = owner_verified_setup(&desk);
    desk.add_good_org("V9999", "Hilltop Care");
    desk.new_account("Bo", "Brown", &mobile(3), "V9999");
    desk.new_mailbox("hilltop.care@nhs.net", "Hilltop shared", "V9999", "bo.brown@nhs.net");
    let timeline_before = ticket(&desk, t).timeline.len();
    let before = desk.audit_head();

    let message = desk.refused(
        SUPERVISOR,
        in_hours(),
        &ResetPassword {
            address: "jo.smith@nhs.net".into(),
            verified_by: Verification::Owner { owner: "bo.brown@nhs.net".into(), mobile: mobile(1) },
            ticket: Some(t),
        },
    );
    assert!(message.contains("bo.brown@nhs.net does not own a shared mailbox of V1234"), "{message}");
    assert_eq!(desk.audit_head(), before);
    assert_eq!(ticket(&desk, t).timeline.len(), timeline_before);
    assert_eq!(desk.account("jo.smith@nhs.net").temp_password_issued_at, Some(in_hours()), "no new password");
}

#[test]
fn a_configured_sms_command_gets_the_real_text_and_the_outbox_keeps_the_mask() {
    let Desk { dir, service } = Desk::new();
    let sent = dir.path().join("sent.txt");
    let ctx = Ctx::new(SUPERVISOR, in_hours());
    let program = format!("printf '%s\\n' \"$1\" > '{0}'; cat >> '{0}'", sent.display());
    service.execute(&ctx, &SetSmsCommand { command: Some(program), time_limit: None }).unwrap();
    drop(service);
    // Reopened, the service builds its gateway from the stored policy.
    let service =
        caredesk::service::Service::open(&dir.path().join("db"), caredesk::store::OpenMode::Existing).unwrap();
    let desk = Desk { dir, service };
    sunrise(&desk);
    desk.new_account("Jo", "Smith", &mobile(1), "V1234");
    let text = std::fs::read_to_string(&sent).expect("the command was run");
    let (number, message) = text.split_once('\n').unwrap();
    assert_eq!(number, "+447700900001");
    let password = password_in(message);
    assert_eq!(password.len(), 12, "{message}");
    let outbox = desk.service.execute(&ctx, &ListOutbox { limit: 5 }).unwrap();
    assert_eq!(outbox[0].delivery, Delivery::Sent);
    assert!(outbox[0].text.contains(PASSWORD_MASK) && !outbox[0].text.contains(&password));
}

#[test]
fn a_changed_sms_command_takes_effect_without_a_restart() {
    let desk = Desk::new();
    let sent = desk.dir.path().join("sent.txt");
    desk.sup(&SetSmsCommand { command: Some(format!("cat > '{}'", sent.display())), time_limit: None });
    sunrise(&desk);
    let created = desk.sup(&create_account("Jo", "Smith", &mobile(1), "V1234", "jo@example.org", false));
    let ctx = Ctx::new(SUPERVISOR, in_hours());
    let outbox = desk.service.execute(&ctx, &ListOutbox { limit: 5 }).unwrap();
    assert_eq!(outbox[0].delivery, Delivery::Sent, "{}", created.summary);
    assert!(sent.exists(), "the configured command was never run");

    // And clearing it stops texts leaving the machine at once.
    desk.sup(&SetSmsCommand { command: None, time_limit: None });
    std::fs::remove_file(&sent).unwrap();
    desk.sup(&ResetPassword {
        address: "jo.smith@nhs.net".into(),
        verified_by: Verification::RegisteredMobile,
        ticket: None,
    });
    assert!(!sent.exists(), "a cleared SMS command still sent the password");
}

#[test]
fn a_mailbox_owner_cannot_verify_their_own_password_reset() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.new_account("Al", "Owner", &mobile(2), "V1234");
    desk.new_mailbox("sunrise.care@nhs.net", "Sunrise Care shared", "V1234", "al.owner@nhs.net");
    let before = desk.audit_head();
    // Someone calling as Al, naming Al as the owner who vouches for them,
    // and a new number for the password.
    let result = desk.run(
        SUPERVISOR,
        in_hours(),
        &ResetPassword {
            address: "al.owner@nhs.net".into(),
            verified_by: Verification::Owner { owner: "al.owner@nhs.net".into(), mobile: mobile(9) },
            ticket: None,
        },
    );
    assert!(result.is_err(), "the caller verified themselves: {:?}", result.map(|o| o.summary));
    assert_eq!(desk.audit_head(), before);
    assert_eq!(desk.account("al.owner@nhs.net").mobile().unwrap().as_str(), mobile(2));
}
