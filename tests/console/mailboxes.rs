//! The shared mailbox pane: finding a mailbox, reading it, and changing its
//! members and owner the way an operator does, checked through the service.

use crate::world::*;
use caredesk::console::App;
use caredesk::console::pane::{Pane, PaneId};
use caredesk::domain::routing::Category;
use caredesk::service::{Ctx, MailboxView, Query, Reply};

/// The team mailbox as the service has it now.
fn team(world: &World) -> MailboxView {
    match world.service.query(&Ctx::new(SUP, in_hours()), &Query::Mailbox { address: TEAM.into() }) {
        Ok(Reply::Mailbox(view)) => *view,
        other => panic!("the team mailbox: {other:?}"),
    }
}

fn members(world: &World) -> Vec<String> {
    team(world).members.iter().map(|a| a.address.to_string()).collect()
}

fn owner(world: &World) -> String {
    team(world).owner.map(|a| a.address.to_string()).unwrap_or_default()
}

/// A console on the mailbox pane with the team mailbox open.
fn showing_team(operator: &str, at: chrono::DateTime<chrono::Utc>, world: &World) -> App {
    let mut app = world.app(operator, at);
    app.press(&format!("3/{TEAM}<enter><enter>"));
    assert_eq!(app.mailboxes().shown().map(|v| v.mailbox.address.to_string()), Some(TEAM.to_owned()));
    app
}

/// Moves the member selection onto `address`.
fn select_member(app: &mut App, address: &str) {
    app.press("g");
    let view = app.mailboxes().shown().expect("a mailbox on screen");
    let at = view.members.iter().position(|a| a.address.to_string() == address).expect("a member");
    app.press(&"j".repeat(at));
}

#[test]
fn a_mailbox_is_found_by_name_fragment_address_and_ods_code() {
    let world = World::new();
    for search in ["oak lodge t", "oaklodge.te", "v1a2b"] {
        let mut app = world.app(NAS, in_hours());
        app.press(&format!("3/{search}"));
        assert!(app.mailboxes().typing(), "{search}");
        let found: Vec<String> = app.mailboxes().results().iter().map(|m| m.address.to_string()).collect();
        assert_eq!(found, [TEAM], "{search}");
        app.press("<enter><enter>");
        assert_eq!(app.mailboxes().shown().map(|v| v.mailbox.display_name.clone()), Some("Oak Lodge Team".into()));
    }
}

#[test]
fn a_search_that_finds_nothing_says_so() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press("3/nowhere house");
    assert!(app.mailboxes().results().is_empty());
    assert!(screen(&mut app, 80, 24).contains("No shared mailbox matches \"nowhere house\""));
}

#[test]
fn typing_in_the_search_does_not_trigger_keys() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    // q and 1 are global keys; while the search has the focus they are text.
    app.press("3/q1");
    assert!(!app.should_quit());
    assert_eq!(app.focus(), PaneId::Mailboxes);
    app.press("<esc>q");
    assert!(app.should_quit());
}

#[test]
fn the_details_show_the_owner_masked_until_revealed_the_members_and_the_flags() {
    let world = World::new();
    let mut app = showing_team(NAS, in_hours(), &world);
    let text = screen(&mut app, 160, 48);
    for want in ["Oak Lodge Team", TEAM, "V1A2B", "Jo Bloggs", "jo.bloggs@nhs.net", "07*** ***100"] {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }
    assert!(!text.contains("07700 900100"), "{text}");
    for member in ["sam.smith@nhs.net", "ann.jones@nhs.net"] {
        assert!(text.contains(member), "{member} missing:\n{text}");
    }
    assert!(text.contains("Flags     none"), "{text}");

    app.press("v");
    assert!(screen(&mut app, 160, 48).contains("07700 900100"));
    app.press("v");
    assert!(!screen(&mut app, 160, 48).contains("07700 900100"));

    // Nobody has opened it for more than thirty days by the new year.
    let mut later = showing_team(NAS, utc("2027-01-05T10:00:00Z"), &world);
    assert!(screen(&mut later, 160, 48).contains("not used for 30+ days"));
}

#[test]
fn pat_is_added_as_a_member_by_searching_accounts() {
    let world = World::new();
    let mut app = showing_team(NAS, in_hours(), &world);
    app.press("+pat");
    assert!(app.mailboxes().dialog_open());
    assert!(app.mailboxes().unsaved());
    assert!(screen(&mut app, 80, 24).contains("pat.lee@nhs.net"));
    app.press("<enter>");
    assert!(!app.mailboxes().dialog_open(), "{}", message(&app));
    assert!(members(&world).contains(&"pat.lee@nhs.net".to_owned()));
    assert_eq!(message(&app), format!("added pat.lee@nhs.net to {TEAM}"));
    assert!(screen(&mut app, 160, 48).contains("pat.lee@nhs.net"));
}

#[test]
fn adding_an_existing_member_shows_the_refusal_and_stays_in_the_picker() {
    let world = World::new();
    let mut app = showing_team(NAS, in_hours(), &world);
    let before = members(&world);
    app.press("asam.smith@<enter>");
    assert!(app.mailboxes().dialog_open());
    let refusal = message(&app);
    assert!(refusal.contains("sam.smith@nhs.net"), "{refusal}");
    assert!(screen(&mut app, 80, 24).contains("sam.smith@nhs.net"));
    assert_eq!(members(&world), before);
    // Esc closes it and the screen still shows the mailbox as it is.
    app.press("<esc>");
    assert!(!app.mailboxes().dialog_open());
    assert_eq!(app.mailboxes().shown().map(|v| v.members.len()), Some(before.len()));
}

#[test]
fn a_member_is_removed_only_after_yes() {
    let world = World::new();
    let mut app = showing_team(NAS, in_hours(), &world);
    select_member(&mut app, "ann.jones@nhs.net");
    app.press("-");
    assert!(screen(&mut app, 80, 24).contains("Remove Ann Jones"));
    app.press("n");
    assert!(members(&world).contains(&"ann.jones@nhs.net".to_owned()));
    assert_eq!(message(&app), "Ann Jones (ann.jones@nhs.net) is still a member");

    app.press("-y");
    assert!(!members(&world).contains(&"ann.jones@nhs.net".to_owned()));
    assert_eq!(message(&app), format!("removed ann.jones@nhs.net from {TEAM}"));
    let shown: Vec<String> =
        app.mailboxes().shown().map(|v| v.members.iter().map(|a| a.address.to_string()).collect()).unwrap_or_default();
    assert_eq!(shown, members(&world));
    assert!(!screen(&mut app, 160, 48).contains("Ann Jones"));
}

#[test]
fn the_owner_cannot_be_removed_and_the_key_says_why() {
    let world = World::new();
    let mut app = showing_team(NAS, in_hours(), &world);
    select_member(&mut app, "jo.bloggs@nhs.net");
    app.press("-");
    assert!(!app.mailboxes().dialog_open());
    assert!(message(&app).contains("give the mailbox a new owner first"), "{}", message(&app));
}

#[test]
fn the_owner_is_changed_to_a_member_after_confirming() {
    let world = World::new();
    let mut app = showing_team(NAS, in_hours(), &world);
    app.press("o");
    // Members are offered first, without typing.
    assert!(screen(&mut app, 80, 24).contains("members of the mailbox"));
    app.press("sam<enter>");
    assert!(screen(&mut app, 80, 24).contains("Make Sam Smith"));
    assert_eq!(owner(&world), "jo.bloggs@nhs.net");
    app.press("y");
    assert_eq!(owner(&world), "sam.smith@nhs.net");
    assert_eq!(message(&app), format!("sam.smith@nhs.net now owns {TEAM}"));
    assert_eq!(
        app.mailboxes().shown().and_then(|v| v.owner.as_ref()).map(|o| o.display_name()),
        Some("Sam Smith".into())
    );
}

#[test]
fn naming_the_current_owner_again_is_refused_and_nothing_changes() {
    let world = World::new();
    let mut app = showing_team(SUP, in_hours(), &world);
    app.press("ojo.bloggs@<enter>y");
    assert!(message(&app).contains("already owns"), "{}", message(&app));
    assert_eq!(owner(&world), "jo.bloggs@nhs.net");
    assert!(!app.mailboxes().dialog_open());
    assert!(screen(&mut app, 160, 48).contains("Jo Bloggs"));
}

#[test]
fn a_helpdesk_agent_is_refused_changes_with_the_reason() {
    let world = World::new();
    for at in [in_hours(), out_of_hours()] {
        let mut app = showing_team(HELPDESK, at, &world);
        let text = screen(&mut app, 80, 24);
        let hint_line = text.lines().last().unwrap_or_default();
        assert!(hint_line.starts_with("/ find  enter open  t ticket"), "{hint_line}");
        for key in ["+", "-", "o"] {
            app.press(key);
            assert!(!app.mailboxes().dialog_open(), "{key}");
            let text = message(&app);
            assert!(text.contains("is not available"), "{key}: {text}");
            assert!(text.contains("log this as a ticket"), "{key}: {text}");
        }
    }
    assert_eq!(members(&world).len(), team(&world).mailbox.member_count as usize);
}

#[test]
fn out_of_hours_t_logs_a_ticket_about_the_mailbox() {
    let world = World::new();
    let mut app = showing_team(HELPDESK, out_of_hours(), &world);
    app.press("o");
    let ticket = app.mailboxes().ticket().expect("a mailbox on screen");
    assert_eq!(ticket.category, Category::OwnerChange);
    assert_eq!(ticket.requester_name, "Jo Bloggs");
    assert_eq!(ticket.ods.as_deref(), Some(OAK));
    assert_eq!(ticket.mailbox.as_deref(), Some(TEAM));
    assert_eq!(ticket.subject, format!("Owner change: {TEAM}"));
    assert!(ticket.body.contains("shared mailbox pane"), "{}", ticket.body);
    app.press("t");
    assert_eq!(app.focus(), PaneId::Queue);
}

#[test]
fn a_ticket_is_about_mailbox_access_unless_the_owner_was_asked_for() {
    let world = World::new();
    let app = showing_team(RESOLVER, out_of_hours(), &world);
    let ticket = app.mailboxes().ticket().expect("a mailbox on screen");
    assert_eq!(ticket.category, Category::MailboxAccess);
    assert_eq!(ticket.subject, format!("Mailbox access: {TEAM}"));
}

#[test]
fn enter_on_a_member_shows_the_account() {
    let world = World::new();
    let mut app = showing_team(NAS, in_hours(), &world);
    select_member(&mut app, "sam.smith@nhs.net");
    app.press("<enter>");
    assert_eq!(app.focus(), PaneId::Accounts);
}

#[test]
fn the_command_line_opens_a_mailbox() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press(&format!(":mailbox {TEAM}<enter>"));
    assert_eq!(app.focus(), PaneId::Mailboxes);
    assert_eq!(app.mailboxes().shown().map(|v| v.mailbox.address.to_string()), Some(TEAM.to_owned()));
}

#[test]
fn mailboxes_80x24() {
    let world = World::new();
    let mut app = showing_team(NAS, in_hours(), &world);
    insta::assert_snapshot!("mailboxes_80x24", screen(&mut app, 80, 24));
}

#[test]
fn mailboxes_160x48() {
    let world = World::new();
    let mut app = showing_team(NAS, in_hours(), &world);
    insta::assert_snapshot!("mailboxes_160x48", screen(&mut app, 160, 48));
}

#[test]
fn mailboxes_picker_80x24() {
    let world = World::new();
    let mut app = showing_team(NAS, in_hours(), &world);
    app.press("+pat");
    insta::assert_snapshot!("mailboxes_picker_80x24", screen(&mut app, 80, 24));
}

#[test]
fn a_sponsored_legacy_mailbox_is_flagged_and_left_to_its_sponsor() {
    let world = World::new();
    let legacy = "oaklodge.legacy@nhs.net";
    world.run(
        SUP,
        in_hours(),
        &caredesk::service::Command::CreateMailbox {
            address: legacy.into(),
            name: "Oak Lodge Legacy".into(),
            ods: OAK.into(),
            owner: "jo.bloggs@nhs.net".into(),
            sponsored_by: Some(ELM.into()),
        },
    );
    let mut app = world.app(NAS, in_hours());
    app.press(&format!("3/{legacy}<enter><enter>"));
    assert!(screen(&mut app, 160, 48).contains(&format!("sponsored legacy ({ELM})")));
    app.press("+");
    assert!(!app.mailboxes().dialog_open());
    let said = message(&app);
    assert!(said.contains(&format!("sponsored by {ELM}")) && said.contains("local administrator"), "{said}");
}

#[test]
fn mailboxes_search_results_80x24() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press("3/oak<enter>");
    insta::assert_snapshot!("mailboxes_search_results_80x24", screen(&mut app, 80, 24));
}

#[test]
fn mailboxes_confirm_remove_80x24() {
    let world = World::new();
    let mut app = showing_team(NAS, in_hours(), &world);
    select_member(&mut app, "sam.smith@nhs.net");
    app.press("-");
    insta::assert_snapshot!("mailboxes_confirm_remove_80x24", screen(&mut app, 80, 24));
}
