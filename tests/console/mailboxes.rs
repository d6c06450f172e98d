//! The shared mailbox pane: finding a mailbox, reading it, and changing its
//! members and owner the way an operator does, checked through the service.

use crate::world::*;
use caredesk::console::App;
use caredesk::console::pane::{Pane, PaneId};
use caredesk::domain::routing::Category;
use caredesk::service::ops::*;
use caredesk::service::{Answer, Ctx, MailboxView, QueueView, Request, StatusFilter};

/// The team mailbox as the service has it now.
fn team(world: &World) -> MailboxView {
    match world.service.execute(&Ctx::new(SUP, in_hours()), &ShowMailbox { address: TEAM.into() }) {
        Ok(view) => view,
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
    app.press(&format!("3/{TEAM}<enter>"));
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
        // One match: the one Enter that ends the search opens it.
        app.press("<enter>");
        assert_eq!(app.mailboxes().shown().map(|v| v.mailbox.display_name.clone()), Some("Oak Lodge Team".into()));
    }
}

#[test]
fn a_search_with_one_match_opens_it_on_enter_and_results_name_the_organisation() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press("3/v1a2b");
    let text = screen(&mut app, 100, 30);
    assert!(text.contains("V1A2B Oak Lodge"), "{text}");
    app.press("<enter>");
    assert_eq!(app.mailboxes().shown().map(|v| v.mailbox.address.to_string()), Some(TEAM.to_owned()));
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
fn an_add_refused_because_a_colleague_changed_the_mailbox_first_succeeds_on_the_next_enter() {
    let world = World::new();
    let mut app = showing_team(NAS, in_hours(), &world);
    app.press("+pat");
    // A colleague removes Sam while the picker is open.
    world.run(NAS, in_hours(), &RemoveMember { mailbox: TEAM.into(), account: "sam.smith@nhs.net".into() });
    app.press("<enter>");
    assert!(app.mailboxes().dialog_open(), "the picker stays, with the search kept");
    assert_eq!(app.mailboxes().picker_query(), Some("pat"));
    let text = screen(&mut app, 160, 48);
    assert!(text.contains("members 3 → 2"), "{text}");
    assert!(text.contains("adds on top of their change"), "{text}");
    assert!(!members(&world).contains(&"pat.lee@nhs.net".to_owned()));
    app.press("<enter>");
    assert!(!app.mailboxes().dialog_open(), "{}", message(&app));
    assert!(members(&world).contains(&"pat.lee@nhs.net".to_owned()));
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
    // Esc asks before throwing the typed search away, then closes it, and
    // the screen still shows the mailbox as it is.
    app.press("<esc>");
    assert_eq!(app.mailboxes().picker_query(), Some("sam.smith@"));
    assert!(screen(&mut app, 80, 24).contains("press esc again to discard"));
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
fn a_removal_refused_because_a_colleague_changed_the_mailbox_first_is_asked_again_saying_what_changed() {
    let world = World::new();
    let mut app = showing_team(NAS, in_hours(), &world);
    select_member(&mut app, "ann.jones@nhs.net");
    app.press("-");
    // A colleague adds Pat while the question is open.
    world.run(NAS, in_hours(), &AddMember { mailbox: TEAM.into(), account: "pat.lee@nhs.net".into(), reason: None });
    app.press("y");
    assert!(members(&world).contains(&"ann.jones@nhs.net".to_owned()), "nothing was saved");
    let text = screen(&mut app, 160, 48);
    assert!(text.contains("Are you sure?") && text.contains("members 3 → 4"), "{text}");
    assert!(text.contains("Remove Ann Jones"), "the same question, asked again: {text}");
    app.press("y");
    assert!(!app.mailboxes().dialog_open(), "{}", message(&app));
    assert!(!members(&world).contains(&"ann.jones@nhs.net".to_owned()), "{}", message(&app));
    assert!(members(&world).contains(&"pat.lee@nhs.net".to_owned()), "the colleague's change is kept");
}

#[test]
fn a_removal_the_colleague_already_made_says_who_made_it() {
    let world = World::new();
    let mut app = showing_team(NAS, in_hours(), &world);
    select_member(&mut app, "ann.jones@nhs.net");
    app.press("-");
    world.run(NAS, in_hours(), &RemoveMember { mailbox: TEAM.into(), account: "ann.jones@nhs.net".into() });
    app.press("y");
    assert!(!app.mailboxes().dialog_open());
    let said = message(&app);
    assert!(said.contains("changed the mailbox first (members 3 → 2)"), "who changed what: {said}");
    assert!(said.contains("ann.jones@nhs.net is not a member"), "{said}");
}

#[test]
fn an_owner_change_refused_because_a_colleague_changed_the_mailbox_first_is_asked_again_and_done_on_yes() {
    let world = World::new();
    let mut app = showing_team(NAS, in_hours(), &world);
    app.press("osam<enter>");
    world.run(NAS, in_hours(), &AddMember { mailbox: TEAM.into(), account: "pat.lee@nhs.net".into(), reason: None });
    app.press("y");
    assert_eq!(owner(&world), "jo.bloggs@nhs.net", "nothing was saved");
    let text = screen(&mut app, 160, 48);
    assert!(text.contains("members 3 → 4") && text.contains("Make Sam Smith"), "{text}");
    app.press("y");
    assert_eq!(owner(&world), "sam.smith@nhs.net", "{}", message(&app));
}

#[test]
fn an_owner_change_the_colleague_already_made_says_who_made_it() {
    let world = World::new();
    let mut app = showing_team(NAS, in_hours(), &world);
    app.press("osam<enter>");
    world.run(NAS, in_hours(), &ChangeOwner { mailbox: TEAM.into(), owner: "sam.smith@nhs.net".into() });
    app.press("y");
    // The picker comes back, saying who named the owner first.
    assert_eq!(app.mailboxes().picker_query(), Some("sam"));
    let said = message(&app);
    assert!(said.contains("changed the mailbox first (the owner changed)") && said.contains("already owns"), "{said}");
    assert!(screen(&mut app, 160, 48).contains("the owner changed"));
}

#[test]
fn the_owner_cannot_be_removed_and_the_key_says_why() {
    let world = World::new();
    let mut app = showing_team(NAS, in_hours(), &world);
    select_member(&mut app, "jo.bloggs@nhs.net");
    app.press("-");
    assert!(!app.mailboxes().dialog_open());
    assert!(message(&app).contains("change the owner before removing them"), "{}", message(&app));
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
fn naming_the_current_owner_again_is_refused_and_the_picker_comes_back() {
    let world = World::new();
    let mut app = showing_team(SUP, in_hours(), &world);
    // The domain refuses the current owner in the picker, before any question.
    app.press("ojo.bloggs@<enter>");
    assert_eq!(owner(&world), "jo.bloggs@nhs.net");
    // The search is still there to pick someone else.
    assert_eq!(app.mailboxes().picker_query(), Some("jo.bloggs@"));
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("already owns"), "{text}");
    app.press("<esc><esc>");
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
        &CreateMailbox {
            address: legacy.into(),
            name: "Oak Lodge Legacy".into(),
            ods: OAK.into(),
            owner: "jo.bloggs@nhs.net".into(),
            sponsored_by: Some(ELM.into()),
        },
    );
    let mut app = world.app(NAS, in_hours());
    app.press(&format!("3/{legacy}<enter>"));
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
    // Down leaves the search for the results without opening the one match.
    app.press("3/oak<down>");
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

#[test]
fn remove_acts_only_on_a_member_selected_in_the_member_list() {
    let world = World::new();
    let mut app = showing_team(NAS, in_hours(), &world);
    select_member(&mut app, "ann.jones@nhs.net");
    // Back to the search results: the member selection is no longer drawn.
    app.press("<esc>");
    app.press("-");
    assert!(!app.mailboxes().dialog_open(), "a hidden selection must not be removed");
    assert!(message(&app).contains("select a member first"), "{}", message(&app));
    assert!(members(&world).contains(&"ann.jones@nhs.net".to_owned()));
}

#[test]
fn a_picker_with_typed_text_is_not_thrown_away_by_one_key() {
    let world = World::new();
    let mut app = showing_team(NAS, in_hours(), &world);
    app.press("+pa<tab>");
    assert_eq!(app.focus(), PaneId::Mailboxes, "tab must not leave the picker half done");
    assert_eq!(app.mailboxes().picker_query(), Some("pa"));
    assert!(app.mailboxes().unsaved());
    app.press("<ctrl-c>");
    assert!(!app.should_quit(), "quitting asks first");
    app.press("n");
    assert_eq!(app.mailboxes().picker_query(), Some("pa"));
    // One Esc warns; typing takes the warning back; two Escs close.
    app.press("<esc>");
    assert!(app.mailboxes().dialog_open());
    app.press("t");
    assert!(!screen(&mut app, 80, 24).contains("press esc again"));
    app.press("<esc>");
    assert_eq!(app.mailboxes().picker_query(), Some("pat"));
    app.press("<esc>");
    assert!(!app.mailboxes().dialog_open());
    assert!(!app.mailboxes().unsaved());
    // With nothing typed there is nothing to lose.
    app.press("+<esc>");
    assert!(!app.mailboxes().dialog_open());
}

fn selected(app: &App) -> Option<String> {
    app.mailboxes().selected_member().map(|a| a.address.to_string())
}

#[test]
fn the_selection_follows_each_change() {
    let world = World::new();
    let mut app = showing_team(SUP, in_hours(), &world);
    app.press("+pat<enter>");
    assert_eq!(selected(&app).as_deref(), Some("pat.lee@nhs.net"), "the member just added");
    app.press("osam<enter>y");
    assert_eq!(owner(&world), "sam.smith@nhs.net");
    assert_eq!(selected(&app).as_deref(), Some("sam.smith@nhs.net"), "the new owner");
    // Removing the last row leaves the row above selected, without a redraw.
    select_member(&mut app, "pat.lee@nhs.net");
    app.press("-y");
    assert!(!members(&world).contains(&"pat.lee@nhs.net".to_owned()));
    let last = members(&world).last().cloned();
    assert_eq!(selected(&app), last);
    // Removing a middle row selects the one that took its place.
    select_member(&mut app, "jo.bloggs@nhs.net");
    let next = members(&world).get(1).cloned();
    app.press("-y");
    assert_eq!(selected(&app), next);
}

#[test]
fn the_reveal_does_not_carry_over_to_a_new_owner() {
    let world = World::new();
    let mut app = showing_team(NAS, in_hours(), &world);
    app.press("v");
    assert!(screen(&mut app, 160, 48).contains("07700 900100"));
    app.press("osam<enter>y");
    assert_eq!(owner(&world), "sam.smith@nhs.net");
    let text = screen(&mut app, 160, 48);
    assert!(!text.contains("07700 900101"), "{text}");
    assert!(text.contains("07*** ***101"), "{text}");
}

const OFFICE: &str = "oaklodge.office@nhs.net";

fn with_office(world: &World) {
    world.run(
        SUP,
        in_hours(),
        &CreateMailbox {
            address: OFFICE.into(),
            name: "Oak Lodge Office".into(),
            ods: OAK.into(),
            owner: "jo.bloggs@nhs.net".into(),
            sponsored_by: None,
        },
    );
}

#[test]
fn a_change_asked_for_on_one_mailbox_is_not_logged_against_another() {
    let world = World::new();
    with_office(&world);
    let mut app = showing_team(HELPDESK, out_of_hours(), &world);
    app.press("o");
    assert_eq!(app.mailboxes().ticket().map(|t| t.category), Some(Category::OwnerChange));
    app.press(&format!("/{}{OFFICE}<enter>", "<backspace>".repeat(TEAM.len())));
    let ticket = app.mailboxes().ticket().expect("a mailbox on screen");
    assert_eq!(ticket.mailbox.as_deref(), Some(OFFICE));
    assert_eq!(ticket.category, Category::MailboxAccess);
    assert!(!ticket.body.contains("owner"), "{}", ticket.body);
}

#[test]
fn an_account_the_domain_will_not_take_is_marked_in_the_picker_and_refused_there() {
    let world = World::new();
    world.run(SUP, in_hours(), &MarkLeaver { address: "pat.lee@nhs.net".into(), new_owner: None, ticket: None });
    let before = members(&world);
    let mut app = showing_team(NAS, in_hours(), &world);
    for (keys, purpose) in [("+pat", "member"), ("opat", "owner")] {
        app.press(keys);
        assert!(screen(&mut app, 120, 30).contains("marked as a leaver"), "{purpose}");
        app.press("<enter>");
        assert_eq!(app.mailboxes().picker_query(), Some("pat"), "{purpose}: the picker stays open");
        let text = screen(&mut app, 120, 30);
        assert!(text.contains("pat.lee@nhs.net cannot be chosen"), "{purpose}:\n{text}");
        assert!(!text.contains("Are you sure"), "{purpose}: no question about an unsuitable owner");
        app.press("<esc><esc>");
    }
    assert_eq!(members(&world), before);
    assert_eq!(owner(&world), "jo.bloggs@nhs.net");
}

#[test]
fn the_new_owner_picker_lists_those_the_rules_allow_first_each_with_their_status() {
    let world = World::new();
    // Ann is made inactive-looking by a leaver mark: no owner.
    world.run(SUP, in_hours(), &MarkLeaver { address: "ann.jones@nhs.net".into(), new_owner: None, ticket: None });
    let mut app = showing_team(NAS, in_hours(), &world);
    app.press("ov1a2b");
    let text = screen(&mut app, 160, 48);
    let rows: Vec<&str> = text.lines().filter(|l| l.contains("@nhs.net  V1A2B")).collect();
    let at = |who: &str| rows.iter().position(|r| r.contains(who)).unwrap_or_else(|| panic!("{who}:\n{text}"));
    // Sam is active and may own it; Pat (pending) and Ann (leaver) may not.
    assert!(at("sam.smith") < at("pat.lee") && at("sam.smith") < at("ann.jones"), "{text}");
    assert!(rows[at("sam.smith")].contains("active"), "{text}");
    assert!(rows[at("pat.lee")].contains("✗") && rows[at("pat.lee")].contains("pending activation"), "{text}");
    assert!(rows[at("ann.jones")].contains("✗") && rows[at("ann.jones")].contains("leaver"), "{text}");
}

#[test]
fn a_jump_keeps_a_picker_on_the_same_mailbox_and_closes_one_on_another() {
    use ratatui::crossterm::event::{Event, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let world = World::new();
    with_office(&world);
    let mut app = showing_team(NAS, in_hours(), &world);
    let to_queue = |app: &mut App| {
        screen(app, 80, 24);
        app.handle(Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 2,
            row: 1,
            modifiers: KeyModifiers::NONE,
        }));
        assert_eq!(app.focus(), PaneId::Queue);
    };
    app.press("+pa");
    to_queue(&mut app);
    app.press(&format!(":mailbox {TEAM}<enter>"));
    assert_eq!(app.focus(), PaneId::Mailboxes);
    assert_eq!(app.mailboxes().picker_query(), Some("pa"), "the same mailbox keeps what was typed");
    to_queue(&mut app);
    app.press(&format!(":mailbox {OFFICE}<enter>"));
    assert_eq!(app.mailboxes().shown().map(|v| v.mailbox.address.to_string()), Some(OFFICE.to_owned()));
    assert!(!app.mailboxes().dialog_open(), "a picker for the team must not add to the office");
    assert_eq!(message(&app), format!("closed the account picker for {TEAM}: nothing changed"));
}

#[test]
fn a_click_on_a_member_row_selects_that_member() {
    use ratatui::crossterm::event::{Event, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let world = World::new();
    let mut app = showing_team(NAS, in_hours(), &world);
    let text = screen(&mut app, 80, 24);
    let row = text.lines().position(|l| l.contains("ann.jones@nhs.net")).expect("ann's row") as u16;
    app.handle(Event::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 10,
        row,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(selected(&app).as_deref(), Some("ann.jones@nhs.net"));
    app.press("-");
    assert!(screen(&mut app, 80, 24).contains("Remove Ann Jones"));
}

/// A desk that hands the pane the team mailbox reshaped: records the
/// service's checks would not make today (no owner, a name full of escape
/// sequences) or that are slow to build (hundreds of members).
struct ShapedDesk {
    inner: caredesk::console::LocalDesk,
    shape: fn(&mut MailboxView),
}

impl caredesk::console::Desk for ShapedDesk {
    fn operator(&self) -> &str {
        self.inner.operator()
    }
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.now()
    }
    fn dispatch(&self, request: Request, based_on: Option<u64>) -> Result<Answer, caredesk::service::ServiceError> {
        Ok(match self.inner.dispatch(request, based_on)? {
            Answer::ShowMailbox(mut view) => {
                (self.shape)(&mut view);
                Answer::ShowMailbox(view)
            }
            other => other,
        })
    }
}

fn shaped_app(world: &World, shape: fn(&mut MailboxView)) -> App {
    use caredesk::console::{Clock, KeyMap, LocalDesk, Theme};
    let inner = LocalDesk::new(world.service.clone(), NAS, Clock::Fixed(in_hours()));
    let mut app =
        App::new(Box::new(ShapedDesk { inner, shape }), KeyMap::default(), Theme::plain()).expect("a console");
    app.press(&format!("3/{TEAM}<enter>"));
    assert!(app.mailboxes().shown().is_some());
    app
}

const NASTY: &str = "Team\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\u{9b}31m\u{202e}";

fn no_owner_no_members(view: &mut MailboxView) {
    view.owner = None;
    view.mailbox.owner = None;
    view.members.clear();
    view.mailbox.member_count = 0;
}

fn six_hundred_members(view: &mut MailboxView) {
    let template = view.members[1].clone();
    view.members = (0..500)
        .map(|i| {
            let mut a = template.clone();
            a.id = 1_000 + i;
            a.address = caredesk::domain::address::NhsMailAddress::parse(&format!("member.{i}@nhs.net")).unwrap();
            a
        })
        .collect();
    view.mailbox.member_count = 600;
}

fn hostile_names(view: &mut MailboxView) {
    view.mailbox.display_name = NASTY.into();
    for account in view.members.iter_mut().chain(view.owner.as_mut()) {
        if let Some(p) = account.personal.as_mut() {
            p.first_name = NASTY.into();
        }
    }
}

/// Every state of the pane, drawn at a small, a usual and a large size.
fn draw_everything(app: &mut App) -> Vec<String> {
    let mut screens = Vec::new();
    for keys in ["", "<esc>", "<esc>", "j", "G", "o", "<esc>", "+pa", "<esc><esc>", "-"] {
        app.press(keys);
        for (w, h) in [(40, 12), (80, 24), (200, 50), (20, 6)] {
            screens.push(screen(app, w, h));
        }
    }
    screens
}

#[test]
fn a_mailbox_with_no_owner_and_no_members_draws_and_says_what_to_do() {
    let world = World::new();
    let mut app = shaped_app(&world, no_owner_no_members);
    let text = screen(&mut app, 200, 50);
    assert!(text.contains("none: name a new owner"), "{text}");
    assert!(text.contains("0 members"), "{text}");
    app.press("-");
    assert!(message(&app).contains("select a member first"), "{}", message(&app));
    app.press("jG<enter>");
    assert_eq!(app.focus(), PaneId::Mailboxes, "enter on an empty list goes nowhere");
    app.press("o");
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("type a name, an address"), "{text}");
    app.press("jack<esc><esc>");
    draw_everything(&mut app);
    // The ticket is still about the mailbox, with nobody to name as requester.
    assert_eq!(app.mailboxes().ticket().map(|t| t.requester_name), Some(String::new()));
}

#[test]
fn owner_question_without_an_owner_does_not_say_instead_of_nobody() {
    let world = World::new();
    let mut app = shaped_app(&world, no_owner_no_members);
    app.press("osam<enter>");
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("Make Sam Smith"), "{text}");
    assert!(!text.contains("nobody"), "{text}");
    app.press("n");
    assert_eq!(message(&app), format!("{TEAM} still has no owner"));
}

#[test]
fn more_than_five_hundred_members_are_counted_and_the_first_listed() {
    let world = World::new();
    let mut app = shaped_app(&world, six_hundred_members);
    let text = screen(&mut app, 200, 50);
    assert!(text.contains("600 members"), "{text}");
    assert!(text.contains("600 (first 500 listed)"), "{text}");
    app.press("G");
    assert_eq!(selected(&app).as_deref(), Some("member.499@nhs.net"));
    assert!(screen(&mut app, 80, 24).contains("member.499@nhs.net"));
    app.press("g<pagedown>");
    assert_ne!(selected(&app).as_deref(), Some("member.0@nhs.net"));
    draw_everything(&mut app);
}

#[test]
fn outside_text_reaches_the_terminal_cleaned() {
    let world = World::new();
    let mut app = shaped_app(&world, hostile_names);
    for text in draw_everything(&mut app) {
        assert!(!text.chars().any(|c| c.is_control() && c != '\n' || c == '\u{202e}'), "{text:?}");
    }
    select_member(&mut app, "ann.jones@nhs.net");
    app.press("-");
    let text = screen(&mut app, 200, 50);
    assert!(text.contains("Remove Team"), "{text}");
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text:?}");
}

#[test]
fn t_on_a_mailbox_proposes_access_for_the_caller_selected_in_the_account_pane() {
    let world = World::new();
    let mut app = world.app(HELPDESK, out_of_hours());
    app.press("2/lee pat<enter>");
    assert!(app.accounts().selected_address().is_some(), "Pat Lee selected");
    app.press(&format!("3/{TEAM}<enter>"));
    app.press("t");
    assert_eq!(app.focus(), PaneId::Queue);
    assert!(app.queue().has_form());
    app.press("<enter>");
    let query = ListTickets { view: QueueView::All, status: StatusFilter::Open, limit: 100 };
    let rows = match world.service.execute(&Ctx::new(NAS, in_hours()), &query) {
        Ok(rows) => rows,
        other => panic!("tickets: {other:?}"),
    };
    let logged = rows
        .into_iter()
        .find(|t| t.subject == format!("Mailbox access: {TEAM}"))
        .expect("a mailbox access ticket logged");
    assert_eq!(logged.category, Category::MailboxAccess);
    assert_eq!(logged.requester, "Pat Lee");
}
