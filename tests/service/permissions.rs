//! Who may do what, and when.

use super::*;

#[test]
fn out_of_hours_a_helpdesk_agent_resets_passwords_but_logs_new_accounts_for_the_resolver_group() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_operator("help1", Role::Helpdesk);
    let jo = desk.new_account("Jo", "Smith", &mobile(1), "V1234");

    let reset =
        ResetPassword { address: jo.address.to_string(), verified_by: Verification::RegisteredMobile, ticket: None };
    let done = desk.ok("help1", out_of_hours(), &reset);
    assert_eq!(receipt(&done).address, "jo.smith@nhs.net");

    let before = desk.audit_head();
    let new = create_account("Al", "Jones", &mobile(2), "V1234", "al@example.org", false);
    let message = desk.refused("help1", out_of_hours(), &new);
    assert!(message.contains("log this as a ticket") && message.contains("resolver group"), "{message}");
    assert_eq!(desk.audit_head(), before);
    assert!(desk.service.store().account_by_address("al.jones@nhs.net").unwrap().is_none());
}

#[test]
fn an_unknown_os_user_is_told_to_ask_for_caredesk_operator_add() {
    let desk = Desk::new();
    let message = desk.refused("mallory", in_hours(), &CloseOrganisation { ods: "V1234".into() });
    assert!(message.contains("\"mallory\" is not a caredesk operator"), "{message}");
    assert!(message.contains("caredesk operator add mallory"), "{message}");
    let err = desk.service.execute(&Ctx::new("mallory", in_hours()), &ShowShift {}).unwrap_err();
    assert!(err.to_string().contains("caredesk operator add"), "{err}");
}

#[test]
fn a_disabled_operator_is_refused_everything() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_operator("nas1", Role::Nas);
    let form = ticket_form(Category::General, "Jo Smith", Some("V1234"));
    desk.ok("nas1", in_hours(), &form.clone());
    desk.sup(&SetOperatorEnabled { username: "nas1".into(), enabled: false });

    let before = desk.audit_head();
    let message = desk.refused("nas1", in_hours(), &form);
    assert!(message.contains("nas1") && message.contains("disabled"), "{message}");
    let err = desk.service.execute(&Ctx::new("nas1", in_hours()), &ShowShift {}).unwrap_err();
    assert!(err.to_string().contains("disabled"), "{err}");
    assert_eq!(desk.audit_head(), before);
}
