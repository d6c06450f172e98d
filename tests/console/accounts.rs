//! Account lookup: searching, the details, and the account tasks as an
//! operator does them by keys.

use crate::world::*;
use caredesk::console::pane::{Pane, PaneId};
use caredesk::console::text::REPLACEMENT;
use caredesk::console::{App, Clock, Desk, KeyMap, LocalDesk, Theme};
use caredesk::domain::account::AccountStatus;
use caredesk::domain::organisation::IgStatus;
use caredesk::domain::refusal::Refusal;
use caredesk::domain::routing::{Category, Queue};
use caredesk::domain::sms::PASSWORD_MASK;
use caredesk::service::ops::*;
use caredesk::service::{
    AccountView, Answer, Ctx, MailboxView, QueueView, Request, ServiceError, StatusFilter, TicketRow, Verification,
};

fn account(world: &World, address: &str) -> AccountView {
    match world.service.execute(&Ctx::new(SUP, in_hours()), &ShowAccount { address: address.into() }) {
        Ok(view) => view,
        other => panic!("account {address}: {other:?}"),
    }
}

fn mailbox(world: &World, address: &str) -> MailboxView {
    match world.service.execute(&Ctx::new(SUP, in_hours()), &ShowMailbox { address: address.into() }) {
        Ok(view) => view,
        other => panic!("mailbox {address}: {other:?}"),
    }
}

fn tickets(world: &World) -> Vec<TicketRow> {
    let query = ListTickets { view: QueueView::All, status: StatusFilter::Open, limit: 100 };
    match world.service.execute(&Ctx::new(SUP, in_hours()), &query) {
        Ok(rows) => rows,
        other => panic!("tickets: {other:?}"),
    }
}

fn outbox(world: &World) -> Vec<caredesk::domain::sms::SmsMessage> {
    match world.service.execute(&Ctx::new(SUP, in_hours()), &ListOutbox { limit: 10 }) {
        Ok(messages) => messages,
        other => panic!("outbox: {other:?}"),
    }
}

/// A console in the account pane with `text` searched for.
fn searched(world: &World, operator: &str, at: chrono::DateTime<chrono::Utc>, text: &str) -> App {
    let mut app = world.app(operator, at);
    app.press(&format!("2/{text}<enter>"));
    app
}

#[test]
fn the_search_narrows_as_the_operator_types() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press("2/s");
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("Sam Smith"), "{text}");
    app.press("m");
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("sam.smith@nhs.net"), "{text}");
    assert!(!text.contains("Jo Bloggs"), "{text}");
    assert_eq!(app.accounts().selected_address(), Some("sam.smith@nhs.net"));
    // Keys go to the search box until Enter leaves it.
    assert_eq!(app.focus(), PaneId::Accounts);
    app.press("<backspace><backspace>bloggs<enter>");
    assert_eq!(app.accounts().selected_address(), Some("jo.bloggs@nhs.net"));
}

#[test]
fn the_search_finds_by_mobile_and_by_ods_code() {
    let world = World::new();
    let mut app = searched(&world, NAS, in_hours(), "07700 900102");
    assert_eq!(app.accounts().selected_address(), Some("ann.jones@nhs.net"));
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("Ann Jones"), "{text}");
    assert!(!text.contains("Sam Smith"), "{text}");

    let mut app = searched(&world, NAS, in_hours(), "v1a2b");
    let text = screen(&mut app, 80, 30);
    for name in ["Jo Bloggs", "Sam Smith", "Ann Jones", "Pat Lee"] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
    assert!(text.contains("4 found"), "{text}");
    app.press("<down><down>");
    assert_eq!(app.accounts().selected_address(), Some("ann.jones@nhs.net"));
}

#[test]
fn the_details_mask_the_mobile_until_revealed() {
    let world = World::new();
    let mut app = searched(&world, NAS, in_hours(), "bloggs");
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("07*** ***100"), "{text}");
    assert!(!text.contains("07700 900100"), "{text}");
    assert!(text.contains("Oak Lodge (V1A2B)"), "{text}");
    assert!(text.contains("inactive in 83 days"), "{text}");
    assert!(text.contains("oaklodge.team@nhs.net (owner)"), "{text}");
    app.press("v");
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("07700 900100"), "{text}");
    app.press("v");
    assert!(screen(&mut app, 80, 24).contains("07*** ***100"));
}

#[test]
fn the_directory_visibility_goes_round_through_the_service() {
    let world = World::new();
    let mut app = searched(&world, HELPDESK, out_of_hours(), "bloggs");
    assert!(screen(&mut app, 80, 24).contains("shown in the NHS Directory"));
    app.press("d");
    assert!(account(&world, "jo.bloggs@nhs.net").account.mobile_hidden, "{}", message(&app));
    assert!(screen(&mut app, 80, 24).contains("hidden from the NHS Directory"));
    app.press("d");
    assert!(!account(&world, "jo.bloggs@nhs.net").account.mobile_hidden, "{}", message(&app));
    assert!(screen(&mut app, 80, 24).contains("shown in the NHS Directory"));
}

#[test]
fn an_owner_verified_reset_shows_the_outbox_entry_and_never_the_password() {
    let world = World::new();
    let mut app = searched(&world, HELPDESK, out_of_hours(), "smith");
    app.press("p");
    assert!(app.accounts().has_task());
    // Choose the owner route: the owner and the mobile they confirm appear.
    app.press("<right><right>");
    let text = screen(&mut app, 100, 30);
    assert!(text.contains("Jo Bloggs <jo.bloggs@nhs.net>"), "{text}");
    app.press("<down><down>07700 900555<enter>");
    let text = screen(&mut app, 140, 30);
    assert!(text.contains("Verified by Jo Bloggs <jo.bloggs@nhs.net>"), "{text}");
    assert!(text.contains("changes from 07*** ***101 to 07*** ***555"), "{text}");
    app.press("<enter>");

    let sent = outbox(&world);
    let newest = sent.first().expect("an outbox entry");
    assert_eq!(newest.address.as_str(), "sam.smith@nhs.net");
    assert_eq!(newest.to.as_str(), "07700900555");
    let text = screen(&mut app, 100, 30);
    assert!(text.contains(&format!("Outbox #{}", newest.seq)), "{text}");
    assert!(text.contains("to 07*** ***555"), "{text}");
    assert!(text.contains(PASSWORD_MASK), "{text}");
    assert!(text.contains("kept in the outbox"), "{text}");
    assert!(newest.text.contains(PASSWORD_MASK), "{}", newest.text);
    // The only password-shaped thing on screen is the mask.
    let words: Vec<&str> = newest.text.split_whitespace().collect();
    let after_is = words.iter().position(|w| *w == "is").map(|i| words[i + 1]);
    assert_eq!(after_is, Some(PASSWORD_MASK));
    assert!(!app.accounts().unsaved());

    app.press("<enter>");
    assert!(!app.accounts().has_task());
    let view = account(&world, "sam.smith@nhs.net");
    assert!(view.account.must_change_password);
}

#[test]
fn a_name_is_found_in_any_order_and_the_result_names_the_organisation() {
    let world = World::new();
    for typed in ["bloggs jo", "jo bloggs", "Bloggs, Jo", "BLOGGS"] {
        let mut app = searched(&world, HELPDESK, out_of_hours(), typed);
        let text = screen(&mut app, 80, 24);
        assert!(text.contains("jo.bloggs@nhs.net"), "{typed}: {text}");
        assert!(text.contains("V1A2B Oak Lodge"), "{typed}: {text}");
        assert!(text.contains("1 found"), "{typed}: {text}");
    }
}

/// Jo Bloggs' registered mobile in the test world, as a caller reads it.
const JO_MOBILE_READ_OUT: &str = "+44 7700 900 100";

#[test]
fn a_reset_is_verified_by_the_number_the_caller_reads_out_without_showing_the_mobile() {
    let world = World::new();
    let mut app = searched(&world, HELPDESK, out_of_hours(), "bloggs");
    let registered = account(&world, "jo.bloggs@nhs.net").account.mobile().expect("a mobile").clone();
    let sent_before = outbox(&world).len();
    app.press("p<tab>");
    // A wrong number says so, and cannot be saved.
    app.press("07700 900999");
    let text = screen(&mut app, 100, 30);
    assert!(text.contains("No match"), "{text}");
    app.press("<enter>");
    assert!(message_or_form(&mut app).contains("not the registered mobile"));
    assert_eq!(outbox(&world).len(), sent_before);
    // The right number, written another way, matches.
    for _ in 0..12 {
        app.press("<backspace>");
    }
    app.press(JO_MOBILE_READ_OUT);
    let text = screen(&mut app, 100, 30);
    assert!(text.contains("✓ Match"), "{text}");
    // Nothing but the (masked) details behind the form shows the mobile.
    assert!(!text.contains(registered.as_str()), "the registered mobile is on screen:\n{text}");
    assert!(!text.contains("Verified by the registered mobile 07"), "{text}");
    app.press("<enter><enter>");
    let sent = outbox(&world);
    assert_eq!(sent.first().map(|m| m.to.as_str()), Some(registered.as_str()), "{}", message(&app));
    // The audit says the number matched, never what was typed.
    let audit = world.run(SUP, in_hours(), &ListAudit { before: None, limit: 5 });
    let entry = audit.iter().find(|e| e.draft.action == "account.reset-password").expect("an audit entry");
    let command = &entry.draft.command;
    assert!(command.contains(r#""mobile-read-out":{"number":""}"#), "{command}");
    for typed in ["07700900100", "7700 900 100", "07700900999"] {
        assert!(!command.contains(typed), "{typed} in the audit: {command}");
    }
}

#[test]
fn the_service_refuses_a_reset_whose_read_out_number_is_not_the_registered_mobile() {
    let world = World::new();
    let sent_before = outbox(&world).len();
    let reset = |number: &str| ResetPassword {
        address: "jo.bloggs@nhs.net".into(),
        verified_by: Verification::MobileReadOut { number: number.into() },
        ticket: None,
    };
    let refused = world.service.execute(&Ctx::new(HELPDESK, out_of_hours()), &reset("07700 900101"));
    assert!(matches!(refused, Err(ServiceError::Refused(Refusal::VerificationFailed { .. }))), "{refused:?}");
    assert_eq!(outbox(&world).len(), sent_before);
    let check = |number: &str| {
        world.service.execute(
            &Ctx::new(HELPDESK, out_of_hours()),
            &CheckMobileReadOut { address: "jo.bloggs@nhs.net".into(), number: number.into() },
        )
    };
    assert!(matches!(check("07700 900101"), Ok(false)));
    assert!(matches!(check("0044 7700 900100"), Ok(true)));
    assert!(check("12345").is_err(), "a number that is no mobile says so");
    assert!(world.service.execute(&Ctx::new(HELPDESK, out_of_hours()), &reset("07700900100")).is_ok());
    assert_eq!(outbox(&world).len(), sent_before + 1);
}

#[test]
fn a_reset_refused_because_a_colleague_hid_the_mobile_first_keeps_the_input_and_saves_on_the_next_confirm() {
    let world = World::new();
    let mut app = searched(&world, HELPDESK, out_of_hours(), "bloggs");
    let sent_before = outbox(&world).len();
    app.press("p<tab>");
    app.press(JO_MOBILE_READ_OUT);
    // A colleague hides Jo's mobile while the form is open.
    world.run(NAS, in_hours(), &SetMobileHidden { address: "jo.bloggs@nhs.net".into(), hidden: true, ticket: None });
    app.press("<enter><enter>");
    let text = screen(&mut app, 160, 40);
    assert!(text.contains("nina changed jo.bloggs@nhs.net first"), "{text}");
    assert!(text.contains("mobile now hidden from the directory"), "{text}");
    assert!(text.contains("Your input is kept"), "{text}");
    assert!(app.accounts().has_task());
    assert_eq!(outbox(&world).len(), sent_before, "nothing was sent on the refused save");
    // The number is still there, and the next confirm is on the new revision.
    app.press("<enter><enter>");
    assert_eq!(outbox(&world).len(), sent_before + 1, "{}", message(&app));
    assert!(account(&world, "jo.bloggs@nhs.net").account.must_change_password);
}

#[test]
fn a_reset_after_a_colleague_marked_the_account_a_leaver_says_it_cannot_be_done() {
    let world = World::new();
    let mut app = searched(&world, NAS, in_hours(), "lee");
    app.press("p<right><enter>");
    assert!(app.accounts().unsaved(), "at the confirmation: {}", message(&app));
    world.run(NAS, in_hours(), &MarkLeaver { address: "pat.lee@nhs.net".into(), new_owner: None, ticket: None });
    app.press("<enter>");
    let text = screen(&mut app, 160, 40);
    assert!(text.contains("status pending activation → leaver"), "{text}");
    assert!(text.contains("nina changed pat.lee@nhs.net first"), "{text}");
    assert!(text.contains("so this cannot be done"), "{text}");
}

/// The form's error, or the message line when the form has none.
fn message_or_form(app: &mut App) -> String {
    let text = screen(app, 100, 30);
    format!("{text}\n{}", message(app))
}

#[test]
fn an_owner_cannot_be_offered_to_vouch_for_themselves() {
    let world = World::new();
    let mut app = searched(&world, NAS, in_hours(), "bloggs");
    app.press("p<right><right>");
    let text = screen(&mut app, 100, 30);
    assert!(text.contains("nobody else owns one of its shared mailboxes"), "{text}");
    app.press("<enter>");
    assert!(screen(&mut app, 100, 30).contains("no other shared mailbox owner"));
    assert!(app.accounts().has_task());
}

#[test]
fn a_leaver_who_owns_a_mailbox_names_a_new_owner_first() {
    let world = World::new();
    let mut app = searched(&world, NAS, in_hours(), "bloggs");
    app.press("x");
    let text = screen(&mut app, 100, 30);
    assert!(text.contains("New owner"), "{text}");
    assert!(text.contains("owns oaklodge.team@nhs.net"), "{text}");
    // Members of the mailbox are offered first, each with their status.
    assert!(text.contains("‹ Sam Smith <sam.smith@nhs.net> · active · member ›"), "{text}");
    // The form says what Enter does, so Enter marks the leaver.
    assert!(text.contains("oaklodge.team@nhs.net passes to sam.smith@nhs.net"), "{text}");
    assert_ne!(account(&world, "jo.bloggs@nhs.net").account.status, AccountStatus::Leaver, "not before Enter");
    app.press("<enter>");
    assert!(!app.accounts().has_task(), "{}", message(&app));
    assert!(message(&app).contains("marked as a leaver"), "{}", message(&app));
    assert_eq!(account(&world, "jo.bloggs@nhs.net").account.status, AccountStatus::Leaver);
    let team = mailbox(&world, TEAM);
    assert_eq!(team.owner.map(|o| o.address.to_string()).as_deref(), Some("sam.smith@nhs.net"));
    assert!(screen(&mut app, 80, 24).contains("unless taken as a joiner"));
}

#[test]
fn the_new_owner_list_puts_fit_members_first_and_shows_an_unfit_member_with_the_reason() {
    let world = World::new();
    // Pat Lee, pending activation, is made a member: a member, but no owner.
    world.run(NAS, in_hours(), &AddMember { mailbox: TEAM.into(), account: "pat.lee@nhs.net".into(), reason: None });
    let mut app = searched(&world, NAS, in_hours(), "bloggs");
    app.press("x");
    assert!(screen(&mut app, 100, 30).contains("‹ Sam Smith <sam.smith@nhs.net> · active · member ›"));
    // Narrowed to Pat: offered last, marked, and refused with the reason.
    app.press("pat");
    let text = screen(&mut app, 160, 40);
    assert!(
        text.contains("‹ ✗ Pat Lee <pat.lee@nhs.net> · pending · member: the account has not been activated"),
        "{text}"
    );
    app.press("<enter>");
    let text = screen(&mut app, 160, 40);
    assert!(text.contains("pat.lee@nhs.net cannot own the mailbox"), "{text}");
    assert_ne!(account(&world, "jo.bloggs@nhs.net").account.status, AccountStatus::Leaver);
}

#[test]
fn a_joiner_moves_to_the_organisation_typed() {
    let world = World::new();
    let mut app = searched(&world, NAS, in_hours(), "lee");
    app.press("m");
    app.press("x9y8z");
    let text = screen(&mut app, 100, 30);
    assert!(text.contains("does not meet the information-governance requirement"), "{text}");
    app.press("<enter>");
    assert!(app.accounts().has_task(), "a refused joiner keeps the form");
    assert_eq!(account(&world, "pat.lee@nhs.net").account.ods.as_str(), OAK);
}

#[test]
fn a_new_account_shows_likely_duplicates_while_typing() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press("2n");
    // The service's rule: the same name in the same organisation.
    app.press("Sam<tab>Smith<tab>07700 900777<tab>V1A2");
    assert!(!screen(&mut app, 100, 30).contains("may already have an account"));
    app.press("B");
    let text = screen(&mut app, 100, 30);
    assert!(text.contains("may already have an account"), "{text}");
    assert!(text.contains("Sam Smith <sam.smith@nhs.net>"), "{text}");
    app.press("<tab>sam@elsewhere.example<enter>");
    let text = screen(&mut app, 100, 30);
    assert!(text.contains("Enter again creates the account anyway"), "{text}");
    assert!(app.accounts().has_task(), "the first enter only warns");
    // A namesake in another organisation is not the same person.
    app.press("<esc><esc>n");
    app.press("Sam<tab>Smith<tab>07700 900777<tab>X9Y8Z<tab>sam@elsewhere.example");
    assert!(!screen(&mut app, 100, 30).contains("may already have an account"));
}

#[test]
fn a_new_account_with_a_mobile_in_use_is_refused_and_keeps_the_input() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press("2nSam<tab>Smyth<tab>07700900101<tab>V1A2B<tab>sam.smyth@oaklodge.example<enter>");
    assert!(app.accounts().has_task());
    let text = screen(&mut app, 100, 30);
    assert!(text.contains("is already registered to sam.smith@nhs.net"), "{text}");
    assert!(text.contains("Smyth"), "{text}");
    assert!(app.accounts().unsaved());
}

#[test]
fn a_new_account_at_an_organisation_failing_ig_is_refused_with_the_reason() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press("2nZed<tab>Quinn<tab>07700900999<tab>X9Y8Z<tab>zed@elm.example<enter>");
    assert!(app.accounts().has_task());
    assert!(message(&app).contains("does not meet the information-governance requirement"), "{}", message(&app));
    let text = screen(&mut app, 120, 30);
    assert!(text.contains("Quinn"), "{text}");
    assert!(text.contains("DSPT"), "{text}");
}

#[test]
fn a_new_account_once_saved_is_shown() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press("2nZed<tab>Quinn<tab>07700900999<tab>V1A2B<tab>zed@oaklodge.example<enter>");
    assert!(!app.accounts().has_task(), "{}", message(&app));
    assert_eq!(app.accounts().selected_address(), Some("zed.quinn@nhs.net"));
    assert!(screen(&mut app, 80, 24).contains("pending activation"));
}

#[test]
fn out_of_hours_a_helpdesk_agent_logs_a_leaver_as_a_ticket() {
    let world = World::new();
    let mut app = searched(&world, HELPDESK, out_of_hours(), "bloggs");
    app.press("x");
    assert!(!app.accounts().has_task());
    assert!(message(&app).contains("out of hours only simple tasks"), "{}", message(&app));
    app.press("t");
    assert_eq!(app.focus(), PaneId::Queue, "{}", message(&app));
    assert!(app.queue().has_form(), "{}", message(&app));
    app.press("<enter>");
    let logged = tickets(&world)
        .into_iter()
        .find(|t| t.subject == "Leaver: jo.bloggs@nhs.net")
        .unwrap_or_else(|| panic!("no ticket logged: {}", message(&app)));
    assert_eq!(logged.category, Category::Leaver);
    assert_eq!(logged.queue, Queue::Resolver);
    assert_eq!(logged.requester, "Jo Bloggs");
}

#[test]
fn the_ticket_logged_follows_the_last_action_tried() {
    let world = World::new();
    let mut app = searched(&world, RESOLVER, out_of_hours(), "lee");
    app.press("m");
    assert!(message(&app).contains("resolver group works its queue"), "{}", message(&app));
    app.press("t");
    assert_eq!(app.focus(), PaneId::Queue, "{}", message(&app));
    app.press("<enter>");
    let logged = tickets(&world).into_iter().find(|t| t.subject == "Move: pat.lee@nhs.net");
    assert_eq!(logged.map(|t| t.category), Some(Category::Move), "{}", message(&app));
}

#[test]
fn a_locked_account_is_unlocked() {
    let world = World::new();
    world.run(NAS, in_hours(), &RecordLock { address: "ann.jones@nhs.net".into() });
    let mut app = searched(&world, HELPDESK, out_of_hours(), "jones");
    assert!(screen(&mut app, 80, 24).contains("Locked     since 23 Nov 10:30"));
    app.press("u");
    assert_eq!(account(&world, "ann.jones@nhs.net").account.locked_at, None, "{}", message(&app));
    app.press("u");
    assert!(message(&app).contains("not locked"), "{}", message(&app));
}

#[test]
fn the_account_command_shows_the_account() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press(":account pat.lee@nhs.net<enter>");
    assert_eq!(app.focus(), PaneId::Accounts);
    assert_eq!(app.accounts().selected_address(), Some("pat.lee@nhs.net"));
    assert!(screen(&mut app, 80, 24).contains("Pat Lee"));
}

#[test]
fn pane_80x24() {
    let world = World::new();
    let mut app = searched(&world, NAS, in_hours(), "v1a2b");
    insta::assert_snapshot!("accounts_80x24", screen(&mut app, 80, 24));
}

#[test]
fn pane_160x48() {
    let world = World::new();
    let mut app = searched(&world, NAS, in_hours(), "v1a2b");
    insta::assert_snapshot!("accounts_160x48", screen(&mut app, 160, 48));
}

/// A desk whose organisation names carry a terminal escape, as a record
/// written before names were validated, or a daemon on another version,
/// could hand the console.
struct TaintedDesk(LocalDesk);

fn taint(name: &mut String) {
    *name = name.replacen(' ', "\x1b[2J ", 1);
}

impl Desk for TaintedDesk {
    fn operator(&self) -> &str {
        self.0.operator()
    }
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.now()
    }
    fn dispatch(&self, request: Request, based_on: Option<u64>) -> Result<Answer, ServiceError> {
        let mut reply = self.0.dispatch(request, based_on).map_err(|mut e| {
            if let ServiceError::Refused(Refusal::IgRequirementNotMet { name, .. }) = &mut e {
                taint(name);
            }
            e
        })?;
        match &mut reply {
            Answer::ShowOrganisation(org) => taint(&mut org.name),
            Answer::ShowAccount(view) => {
                if let Some(org) = view.organisation.as_mut() {
                    taint(&mut org.name);
                    org.ig = IgStatus::NotMet;
                }
            }
            _ => {}
        }
        Ok(reply)
    }
}

fn tainted_app(world: &World, operator: &str) -> App {
    let desk = LocalDesk::new(world.service.clone(), operator, Clock::Fixed(in_hours()));
    App::new(Box::new(TaintedDesk(desk)), KeyMap::default(), Theme::plain()).expect("a console")
}

#[test]
fn an_organisation_refusal_in_the_details_is_drawn_cleaned() {
    let world = World::new();
    let mut app = tainted_app(&world, NAS);
    app.press("2/bloggs<enter>");
    let text = screen(&mut app, 200, 50);
    assert!(!text.contains('\x1b'), "{text}");
    assert!(text.contains(&format!("Oak{REPLACEMENT}[2J Lodge (V1A2B) does not meet")), "{text}");
}

#[test]
fn an_organisation_refusal_in_a_form_is_drawn_cleaned() {
    let world = World::new();
    let mut app = tainted_app(&world, NAS);
    app.press("2/lee<enter>mx9y8z");
    let refusal = format!("Elm{REPLACEMENT}[2J House (X9Y8Z) does not meet");
    let text = screen(&mut app, 120, 40);
    assert!(!text.contains('\x1b'), "{text}");
    assert_eq!(text.matches(&refusal).count(), 1, "the organisation note:\n{text}");
    // Saving anyway brings the service's refusal into the form as well as
    // onto the message line.
    app.press("<enter>");
    assert!(app.accounts().has_task());
    let text = screen(&mut app, 120, 40);
    assert!(!text.contains('\x1b'), "{text}");
    assert_eq!(text.matches(&refusal).count(), 3, "note, form error and message line:\n{text}");
}

#[test]
fn a_shared_registration_email_is_shown_before_saving_anyway() {
    let world = World::new();
    world.run(
        SUP,
        in_hours(),
        &AddOrganisation {
            ods: "Z1Z1Z".into(),
            name: "Birch House".into(),
            ig: IgStatus::DsptStandardsMet,
            administered_by: None,
        },
    );
    let mut app = world.app(NAS, in_hours());
    // Another Sam Smith, elsewhere, registering with Ann Jones's email: the
    // service would take them for Ann, and the form says so as it is typed.
    app.press("2nSam<tab>Smith<tab>07700900888<tab>Z1Z1Z<tab>ann.jones@oaklodge.example");
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("ann.jones@nhs.net"), "{text}");
    assert!(!text.contains("sam.smith@nhs.net"), "a namesake elsewhere is not listed: {text}");
    app.press("<enter>");
    assert!(app.accounts().has_task(), "the first enter only warns");
    assert!(screen(&mut app, 120, 40).contains("Enter again creates the account anyway"));
    app.press("<enter>");
    assert!(!app.accounts().has_task(), "{}", message(&app));
    assert_eq!(app.accounts().selected_address(), Some("sam.smith1@nhs.net"));
}

#[test]
fn a_ticket_logged_with_nothing_tried_proposes_what_the_accounts_state_makes_likely() {
    let world = World::new();
    // Pat Lee has never logged in: the call is about activating.
    let mut app = searched(&world, HELPDESK, out_of_hours(), "lee");
    app.press("t");
    assert_eq!(app.focus(), PaneId::Queue, "{}", message(&app));
    assert_eq!(app.queue().form_value("Category").as_deref(), Some(Category::ActivationHelp.slug()));
    assert_eq!(app.queue().form_value("Subject").as_deref(), Some("Activation help: pat.lee@nhs.net"));
}

#[test]
fn t_on_a_leaver_proposes_leaver_and_on_a_locked_account_unlock() {
    let world = World::new();
    world.run(NAS, in_hours(), &RecordLock { address: "ann.jones@nhs.net".into() });
    let mut app = searched(&world, HELPDESK, out_of_hours(), "jones");
    app.press("t");
    assert_eq!(app.queue().form_value("Category").as_deref(), Some(Category::Unlock.slug()), "{}", message(&app));
    world.run(NAS, in_hours(), &MarkLeaver { address: "sam.smith@nhs.net".into(), new_owner: None, ticket: None });
    let mut app = searched(&world, HELPDESK, out_of_hours(), "smith");
    app.press("t");
    assert_eq!(app.queue().form_value("Category").as_deref(), Some(Category::Leaver.slug()), "{}", message(&app));
}

#[test]
fn the_subject_and_details_follow_the_category_until_edited() {
    let world = World::new();
    let mut app = searched(&world, HELPDESK, out_of_hours(), "bloggs");
    app.press("t");
    assert_eq!(app.queue().form_value("Category").as_deref(), Some(Category::PasswordReset.slug()));
    // The category has the keys: narrow it to mailbox access.
    app.press("access");
    assert_eq!(app.queue().form_value("Category").as_deref(), Some(Category::MailboxAccess.slug()));
    assert_eq!(app.queue().form_value("Subject").as_deref(), Some("Mailbox access: jo.bloggs@nhs.net"));
    let details = app.queue().form_value("Details").unwrap_or_default();
    assert!(details.contains("shared mailbox access for jo.bloggs@nhs.net"), "{details}");
    assert!(!details.contains("password reset"), "{details}");
    // Once the operator writes their own subject, it stays theirs.
    for _ in 0..9 {
        app.press("<tab>");
    }
    app.press(" (Oak team)");
    for _ in 0..9 {
        app.press("<backtab>");
    }
    app.press("<backspace><backspace><backspace><backspace><backspace><backspace>leaver");
    assert_eq!(app.queue().form_value("Category").as_deref(), Some(Category::Leaver.slug()));
    assert_eq!(app.queue().form_value("Subject").as_deref(), Some("Mailbox access: jo.bloggs@nhs.net (Oak team)"));
    assert!(app.queue().form_value("Details").unwrap_or_default().contains("leaver for jo.bloggs"));
}

#[test]
fn esc_closes_an_untouched_prefilled_ticket_form_at_once_and_asks_once_edited() {
    let world = World::new();
    let mut app = searched(&world, HELPDESK, out_of_hours(), "bloggs");
    app.press("t");
    assert!(app.queue().has_form());
    app.press("<esc>");
    assert!(!app.queue().has_form(), "{}", message(&app));
    app.press("2t");
    app.press("x<esc>");
    assert!(app.queue().has_form(), "an edited form asks first");
    app.press("<esc>");
    assert!(!app.queue().has_form());
}

#[test]
fn a_ticket_logged_follows_the_action_tried_on_that_account_only() {
    let world = World::new();
    let mut app = searched(&world, HELPDESK, out_of_hours(), "v1a2b");
    // Leaver refused out of hours on Jo Bloggs, then another account chosen.
    app.press("x<down>t");
    assert_ne!(app.queue().form_value("Category").as_deref(), Some(Category::Leaver.slug()));
    app.press("<esc>2<up>t");
    assert_eq!(app.queue().form_value("Category").as_deref(), Some(Category::Leaver.slug()));
}

#[test]
fn a_mailbox_list_that_empties_on_reload_gives_the_keys_back_to_the_results() {
    let world = World::new();
    let mut app = searched(&world, NAS, in_hours(), "v1a2b");
    app.press("<down><enter>");
    assert_eq!(app.accounts().selected_address(), Some("sam.smith@nhs.net"));
    assert!(screen(&mut app, 80, 24).contains("enter open mailbox  esc results"));
    world.run(SUP, in_hours(), &RemoveMember { mailbox: TEAM.into(), account: "sam.smith@nhs.net".into() });
    app.press("<f5>");
    assert!(!screen(&mut app, 80, 24).contains("open mailbox"));
    app.press("<down>");
    assert_eq!(app.accounts().selected_address(), Some("ann.jones@nhs.net"));
}

#[test]
fn the_leaver_form_gives_the_deletion_date_the_lifecycle_works_out() {
    let world = World::new();
    let mut app = searched(&world, NAS, in_hours(), "lee");
    app.press("x");
    let text = screen(&mut app, 100, 30);
    assert!(text.contains("Deleted on 23 Dec unless a new organisation takes the account"), "{text}");
}

#[test]
fn the_joiner_form_names_only_mailboxes_a_joiner_can_be_added_to() {
    let world = World::new();
    world.run(
        SUP,
        in_hours(),
        &CreateMailbox {
            address: "oaklodge.legacy@nhs.net".into(),
            name: "Oak Lodge Legacy".into(),
            ods: OAK.into(),
            owner: "sam.smith@nhs.net".into(),
            sponsored_by: Some(ELM.into()),
        },
    );
    let mut app = searched(&world, NAS, in_hours(), "lee");
    app.press("mv1a2b");
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("Its shared mailboxes: oaklodge.team@nhs.net"), "{text}");
    assert!(!text.contains("oaklodge.legacy@nhs.net"), "{text}");
}

#[test]
fn the_pane_and_its_tasks_draw_at_every_size() {
    let world = World::new();
    for (width, height) in [(40, 12), (80, 24), (200, 50)] {
        let mut app = world.app(NAS, in_hours());
        app.press("2");
        assert!(screen(&mut app, width, height).contains("Account"));
        app.press("/zzzz<enter>");
        assert!(screen(&mut app, width, height).contains("no account"), "{width}x{height}");
        app.press("/<backspace><backspace><backspace><backspace>v1a2b<enter>");
        for (keys, shows) in [
            ("<enter>", "open mailbox"),
            ("<esc>x", "Mark leaver"),
            ("<esc>p<right><enter>", "enter confirm"),
            ("<esc><esc><esc>p<right><right>", "Reset password"),
            ("<esc><esc>m", "Joiner or move"),
            ("<esc>n", "New account"),
        ] {
            app.press(keys);
            let text = screen(&mut app, width, height);
            assert!(text.contains(shows), "{width}x{height} after {keys}:\n{text}");
        }
    }
}

#[test]
fn a_click_on_either_line_of_a_two_line_result_selects_that_account() {
    use ratatui::crossterm::event::{Event, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let click = |column, row| {
        Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    let world = World::new();
    let mut app = searched(&world, NAS, in_hours(), "v1a2b");
    let text = screen(&mut app, 40, 30);
    let row = |needle: &str| text.lines().position(|l| l.contains(needle)).expect(needle) as u16;
    let (sam, ann) = (row("sam.smith@nhs.net"), row("Ann Jones"));
    app.handle(click(5, sam));
    assert_eq!(app.accounts().selected_address(), Some("sam.smith@nhs.net"));
    app.handle(click(5, ann));
    assert_eq!(app.accounts().selected_address(), Some("ann.jones@nhs.net"));
    // The header is not a row.
    app.handle(click(5, row("Name, address")));
    assert_eq!(app.accounts().selected_address(), Some("ann.jones@nhs.net"));
}

/// The wheel scrolls the results; rolling up past the first one must not
/// put the keys in the search box, where the next action key would be
/// typed as text.
#[test]
fn the_mouse_wheel_scrolls_results_and_never_into_the_search_box() {
    use ratatui::crossterm::event::{Event, KeyModifiers, MouseEvent, MouseEventKind};
    let world = World::new();
    let mut app = searched(&world, NAS, in_hours(), OAK);
    screen(&mut app, 80, 24);
    let wheel = |kind| Event::Mouse(MouseEvent { kind, column: 10, row: 8, modifiers: KeyModifiers::NONE });
    let first = app.accounts().selected_address().map(str::to_owned);
    app.handle(wheel(MouseEventKind::ScrollDown));
    assert_ne!(app.accounts().selected_address().map(str::to_owned), first, "the wheel moved down the results");
    app.handle(wheel(MouseEventKind::ScrollUp));
    app.handle(wheel(MouseEventKind::ScrollUp));
    assert_eq!(app.accounts().selected_address().map(str::to_owned), first);
    app.press("p");
    assert!(app.accounts().has_task(), "p started a reset instead of being typed into the search");
}

/// A namesake registered by someone else while the form was open: the
/// service refuses with its matches, the form shows them, and the next
/// Enter saves anyway.
#[test]
fn a_duplicate_that_appears_while_the_form_is_open_is_caught_by_the_service() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press("2nKim<tab>Park<tab>07700900777<tab>V1A2B<tab>kim@oaklodge.example");
    assert!(!screen(&mut app, 120, 40).contains("may already have an account"));
    world.run(
        SUP,
        in_hours(),
        &CreateAccount {
            first: "Kim".into(),
            last: "Park".into(),
            mobile: "07700900778".into(),
            ods: OAK.into(),
            email: "kim.park@elsewhere.example".into(),
            not_duplicate: false,
        },
    );
    app.press("<enter>");
    assert!(app.accounts().has_task(), "the service refused: {}", message(&app));
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("kim.park@nhs.net"), "{text}");
    app.press("<enter>");
    assert!(!app.accounts().has_task(), "{}", message(&app));
    assert_eq!(app.accounts().selected_address(), Some("kim.park1@nhs.net"));
}

/// A jump to another account while a form is open keeps the form and the
/// account it is about on screen, and says what to do.
#[test]
fn a_jump_while_a_form_is_open_keeps_the_form_and_its_account() {
    let world = World::new();
    let mut app = searched(&world, NAS, in_hours(), "bloggs");
    app.press("p<tab>CD-1");
    assert!(app.accounts().has_task());
    // On a wide screen the operator clicks into the queue and asks for
    // another account from there.
    screen(&mut app, 160, 48);
    let click = ratatui::crossterm::event::MouseEvent {
        kind: ratatui::crossterm::event::MouseEventKind::Down(ratatui::crossterm::event::MouseButton::Left),
        column: 5,
        row: 10,
        modifiers: ratatui::crossterm::event::KeyModifiers::NONE,
    };
    app.handle(ratatui::crossterm::event::Event::Mouse(click));
    assert_eq!(app.focus(), PaneId::Queue);
    app.press(":account pat.lee@nhs.net<enter>");
    assert_eq!(app.focus(), PaneId::Accounts);
    assert!(app.accounts().has_task(), "the form is still open");
    assert_eq!(app.accounts().selected_address(), Some("jo.bloggs@nhs.net"));
    assert!(message(&app).contains("finish or close it, then look up pat.lee@nhs.net"), "{}", message(&app));
}

#[test]
fn a_new_account_whose_mobile_is_in_use_never_offers_to_create_it_anyway() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    // A namesake of Sam Smith in the same organisation, with Sam's mobile.
    app.press("2nSam<tab>Smith<tab>07700900101<tab>V1A2B");
    let text = screen(&mut app, 100, 30);
    assert!(text.contains("may already have an account"), "{text}");
    assert!(text.contains("is already registered to"), "{text}");
    assert!(!text.contains("Enter twice creates"), "{text}");
    assert!(text.contains("Change the mobile first"), "{text}");
    app.press("<tab>sam@elsewhere.example<enter>");
    let text = screen(&mut app, 100, 30);
    assert!(!text.contains("creates the account anyway"), "{text}");
    assert!(!text.contains("press enter again"), "{text}");
    assert!(text.contains("is already registered to"), "{text}");
    assert!(app.accounts().has_task(), "the refused form keeps its input");
    assert!(app.accounts().unsaved());
}

#[test]
fn out_of_hours_at_80_columns_dimmed_hints_no_longer_crowd_out_log_ticket() {
    let world = World::new();
    let mut app = searched(&world, HELPDESK, out_of_hours(), "bloggs");
    let text = screen(&mut app, 80, 24);
    let hints = text.lines().last().unwrap_or_default().to_owned();
    assert!(hints.contains("t log ticket"), "the hint line must show t: {hints:?}");
    // The keys the shift rules out come after every key that works now.
    if let (Some(x), Some(t)) = (hints.find("x leaver"), hints.find("t log ticket")) {
        assert!(t < x, "{hints:?}");
    }
}

#[test]
fn slash_starts_a_fresh_search_and_up_or_ctrl_p_brings_back_earlier_ones() {
    let world = World::new();
    let mut app = searched(&world, HELPDESK, in_hours(), "bloggs");
    assert_eq!(app.accounts().selected_address(), Some("jo.bloggs@nhs.net"));
    // No ctrl-u needed: the line starts empty.
    app.press("/");
    assert_eq!(app.accounts().search_text(), "");
    app.press("smith<enter>");
    assert_eq!(app.accounts().selected_address(), Some("sam.smith@nhs.net"));
    app.press("/<up>");
    assert_eq!(app.accounts().search_text(), "smith");
    app.press("<c-p>");
    assert_eq!(app.accounts().search_text(), "bloggs");
    assert_eq!(app.accounts().selected_address(), Some("jo.bloggs@nhs.net"));
    // Older than the oldest stays there; ctrl-n comes back.
    app.press("<up>");
    assert_eq!(app.accounts().search_text(), "bloggs");
    app.press("<c-n>");
    assert_eq!(app.accounts().search_text(), "smith");
}
