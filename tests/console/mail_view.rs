//! The mail behind a ticket, read in the console: the messages, the
//! original as it arrived, attachments shown or described, and nothing
//! from a mail reaching the terminal raw.

use caredesk::console::{App, Clock, KeyMap, LocalDesk, Theme};
use caredesk::domain::routing::Channel;
use caredesk::domain::ticket::TicketRef;
use caredesk::service::RawMail;
use caredesk::service::ops::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use crate::world::*;

const BOUNDARY: &str = "frontier";

/// A request with a quoted history, a text attachment and a binary one.
fn request(subject: &str, id: &str) -> String {
    format!(
        "Received: from mx by imap; Wed, 25 Nov 2026 10:15:00 +0000\r\n\
         From: Priya Shah <priya.shah@sunrise-care.co.uk>\r\n\
         To: careadmin@nhs.net\r\n\
         Subject: {subject}\r\n\
         Message-ID: <{id}@sunrise-care.co.uk>\r\n\
         Date: Wed, 25 Nov 2026 10:14:00 +0000\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"{BOUNDARY}\"\r\n\
         \r\n\
         --{BOUNDARY}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         Please reset the password for Sam Smith, ODS V1A2B.\r\n\
         \r\n\
         > On Tuesday the helpdesk wrote:\r\n\
         > earlier history kept in the original\r\n\
         --{BOUNDARY}\r\n\
         Content-Type: text/csv; name=\"staff.csv\"\r\n\
         Content-Disposition: attachment; filename=\"staff.csv\"\r\n\
         \r\n\
         name,role\r\n\
         Sam Smith,carer\r\n\
         --{BOUNDARY}\r\n\
         Content-Type: application/pdf; name=\"form.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"form.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\
         \r\n\
         /////w==\r\n\
         --{BOUNDARY}--\r\n"
    )
}

fn deliver(world: &World, raw: String) -> TicketRef {
    let intake = world.run(
        SUP,
        in_hours(),
        &DeliverMail { channel: Some(Channel::EmailNas), delivered_at: in_hours(), raw: RawMail(raw.into_bytes()) },
    );
    intake.ticket
}

/// A console on the ticket's view, with its mail opened.
fn mail_open(world: &World, reference: TicketRef) -> App {
    let mut app = world.app(NAS, in_hours());
    app.press(&format!(":ticket {reference}<enter>"));
    assert_eq!(app.queue().detail().map(|d| d.ticket.reference), Some(reference), "{}", message(&app));
    app.press("m");
    app
}

#[test]
fn m_opens_the_message_as_it_arrived_with_headers_quoted_history_and_attachments() {
    let world = World::new();
    let reference = deliver(&world, request("Password reset please", "a1"));
    let mut app = mail_open(&world, reference);
    assert!(app.queue().mail_view().is_some(), "{}", message(&app));
    let shown = screen(&mut app, 200, 50);
    for want in [
        "Mail on",
        "Wed 25 Nov 10:15",
        "Priya Shah <priya.shah@sunrise-care.co.uk>",
        "Password reset please",
        "Message-ID: <a1@sunrise-care.co.uk>",
        "> earlier history kept in the original",
        "staff.csv · text/csv",
        "form.pdf · application/pdf",
    ] {
        assert!(shown.contains(want), "{want:?} missing:\n{shown}");
    }
}

#[test]
fn down_scrolls_the_original_and_top_returns() {
    let world = World::new();
    let reference = deliver(&world, request("Password reset please", "a1"));
    let mut app = mail_open(&world, reference);
    let before = screen(&mut app, 80, 24);
    app.press("jjj");
    assert_eq!(app.queue().mail_view().map(|m| m.scroll()), Some(3));
    let after = screen(&mut app, 80, 24);
    assert_ne!(before, after, "scrolling should move the original");
    assert!(!after.contains("Received: from mx"), "{after}");
    app.press("g");
    assert_eq!(app.queue().mail_view().map(|m| m.scroll()), Some(0));
}

#[test]
fn right_switches_to_the_next_message_on_the_ticket() {
    let world = World::new();
    let reference = deliver(&world, request("Password reset please", "a1"));
    let threaded = deliver(&world, request(&format!("Re: [{reference}] one more thing"), "a2"));
    assert_eq!(threaded, reference, "the reply should thread onto the ticket");
    let mut app = mail_open(&world, reference);
    app.press("]");
    assert_eq!(app.queue().mail_view().map(|m| m.message()), Some(2));
    let shown = screen(&mut app, 200, 50);
    assert!(shown.contains("message 2 of 2"), "{shown}");
    assert!(shown.contains("Message-ID: <a2@sunrise-care.co.uk>"), "{shown}");
    app.press("]");
    assert_eq!(app.queue().mail_view().map(|m| m.message()), Some(1), "it should wrap to the first");
}

#[test]
fn enter_shows_a_text_attachment_and_describes_a_binary_one_with_the_command_to_save_it() {
    let world = World::new();
    let reference = deliver(&world, request("Password reset please", "a1"));
    let mut app = mail_open(&world, reference);
    app.press("<enter>");
    assert_eq!(app.queue().mail_view().map(|m| m.part()), Some(1));
    let shown = screen(&mut app, 200, 50);
    assert!(shown.contains("Sam Smith,carer"), "the text attachment should be shown:\n{shown}");
    app.press("<enter>");
    let shown = screen(&mut app, 200, 50);
    assert!(shown.contains("form.pdf (application/pdf, 4 bytes) is not text"), "{shown}");
    assert!(shown.contains(&format!("caredesk ticket attachment {reference} 2 --mail 1 --out FILE")), "{shown}");
    app.press("<enter>");
    assert_eq!(app.queue().mail_view().map(|m| m.part()), Some(0), "back to the original");
}

#[test]
fn esc_closes_the_mail_and_leaves_the_ticket_open() {
    let world = World::new();
    let reference = deliver(&world, request("Password reset please", "a1"));
    let mut app = mail_open(&world, reference);
    app.press("<esc>");
    assert!(app.queue().mail_view().is_none());
    assert_eq!(app.queue().detail().map(|d| d.ticket.reference), Some(reference));
    assert!(!screen(&mut app, 80, 24).contains("Mail on"));
}

#[test]
fn queue_keys_do_nothing_behind_the_open_mail() {
    let world = World::new();
    let reference = deliver(&world, request("Password reset please", "a1"));
    let mut app = mail_open(&world, reference);
    app.press("c");
    assert!(app.queue().mail_view().is_some(), "the mail should stay open");
    let ticket = world.run(SUP, in_hours(), &ShowTicket { reference });
    assert_eq!(ticket.assignee, None, "c behind the mail must not claim the ticket");
}

#[test]
fn a_message_that_could_not_be_read_is_marked_unparsed_and_shown_as_it_came() {
    let world = World::new();
    let raw = include_bytes!("../mail/corpus/not-mail.eml");
    let intake = world.run(
        SUP,
        in_hours(),
        &DeliverMail { channel: Some(Channel::EmailNas), delivered_at: in_hours(), raw: RawMail(raw.to_vec()) },
    );
    let mut app = mail_open(&world, intake.ticket);
    let shown = screen(&mut app, 200, 50);
    assert!(shown.contains("UNPARSED"), "{shown}");
    assert!(shown.contains("the original is shown as it came"), "{shown}");
}

#[test]
fn a_ticket_with_no_mail_says_so_instead_of_opening() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press("<enter>m");
    assert!(app.queue().mail_view().is_none());
    assert!(message(&app).contains("did not come by mail"), "{}", message(&app));
}

#[test]
fn an_original_longer_than_the_limit_is_cut_and_names_the_command_that_saves_it() {
    let world = World::new();
    let mut raw = request("Long one", "a3");
    raw.push_str(&"padding line of the original\r\n".repeat(20_000));
    let reference = deliver(&world, raw);
    let mut app = mail_open(&world, reference);
    app.press("G");
    let shown = screen(&mut app, 200, 50);
    assert!(shown.contains("(cut: the first 256 kB of"), "{shown}");
    assert!(shown.contains(&format!("caredesk ticket original {reference} --mail 1 --out FILE")), "{shown}");
}

#[test]
fn escape_sequences_and_bidi_controls_in_a_mail_never_reach_the_terminal() {
    let world = World::new();
    let nasty = "evil\x1b]52;c;cm0=\x07\x1b[2J\u{9b}31m\u{202e}fdp.exe";
    let raw = request(nasty, "a4").replace("Please reset", &format!("Please {nasty} reset"));
    let reference = deliver(&world, raw);
    let mut app = mail_open(&world, reference);
    for keys in ["", "<enter>"] {
        app.press(keys);
        let shown = screen(&mut app, 200, 50);
        assert!(shown.contains("evil"), "{shown}");
        for bad in ["\x1b", "\x07", "\u{9b}", "\u{202e}"] {
            assert!(!shown.contains(bad), "{bad:?} reached the screen:\n{shown}");
        }
    }
}

fn coloured(world: &World, reference: TicketRef, theme: Theme) -> usize {
    let desk = LocalDesk::new(world.service.clone(), NAS, Clock::Fixed(in_hours()));
    let mut app = App::new(Box::new(desk), KeyMap::default(), theme).expect("a console");
    app.press(&format!(":ticket {reference}<enter>m"));
    assert!(app.queue().mail_view().is_some());
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("a test terminal");
    terminal.draw(|frame| app.draw(frame)).expect("a frame");
    terminal.backend().buffer().content().iter().filter(|c| c.fg != Color::Reset || c.bg != Color::Reset).count()
}

#[test]
fn no_color_means_no_colour_in_the_mail_view() {
    let world = World::new();
    let reference = deliver(&world, request("Password reset please", "a1"));
    assert_eq!(coloured(&world, reference, Theme::plain()), 0);
    assert!(
        coloured(&world, reference, Theme { color: true }) > 0,
        "the mail view should be coloured without NO_COLOR"
    );
}

#[test]
fn mail_view_snapshots() {
    let world = World::new();
    let reference = deliver(&world, request("Password reset please", "a1"));
    let mut app = mail_open(&world, reference);
    insta::assert_snapshot!("mail_view_80x24", screen(&mut app, 80, 24));
    insta::assert_snapshot!("mail_view_200x50", screen(&mut app, 200, 50));
}

#[test]
fn a_large_text_attachment_crosses_the_desk_cut_to_what_is_shown() {
    use caredesk::service::MailPiece;
    let world = World::new();
    let big = "name,role\r\n".to_owned() + &"Sam Smith,carer\r\n".repeat(40_000);
    let raw = request("Staff list", "b3").replace("name,role\r\nSam Smith,carer\r\n", &big);
    let reference = deliver(&world, raw);
    let mails = world.run(SUP, in_hours(), &ListTicketMail { ticket: reference });
    let whole = MailPiece::Attachment { index: 0, at_most: None };
    let cut = MailPiece::Attachment { index: 0, at_most: Some(1000) };
    let read = |piece| world.run(SUP, in_hours(), &ReadMailPiece { ticket: reference, mail: mails[0].id, piece });
    assert!(read(whole).bytes.len() > 600_000, "the whole attachment is kept");
    assert_eq!(read(cut).bytes.len(), 1000);
    let mut app = mail_open(&world, reference);
    app.press("<enter>G");
    let shown = screen(&mut app, 200, 50);
    assert!(shown.contains("(cut: the first 256 kB are shown"), "{shown}");
}
