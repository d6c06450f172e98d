//! A small helpdesk made through the service, and consoles on it.
//!
//! Organisations: V1A2B "Oak Lodge" (meets the IG requirement, NAS
//! administered), X9Y8Z "Elm House" (fails the IG requirement).
//! Accounts at Oak Lodge: Jo Bloggs (owns the team mailbox), Sam Smith and
//! Ann Jones (members), Pat Lee (no mailbox). Operators: nina (NAS),
//! harry (helpdesk), rita (resolver) and sup (supervisor). Tickets: two in
//! the NAS queue, one in the helpdesk queue, one in the resolver queue.
#![allow(dead_code)]

use std::sync::Arc;

use caredesk::console::{App, Clock, KeyMap, LocalDesk, Theme};
use caredesk::domain::organisation::IgStatus;
use caredesk::domain::permission::Role;
use caredesk::domain::routing::{Category, Channel};
use caredesk::domain::ticket::Ticket;
use caredesk::service::ops::*;
use caredesk::service::{Ctx, Done, Registered, Service};
use caredesk::store::OpenMode;
use chrono::{DateTime, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tempfile::TempDir;

pub const SUP: &str = "sup";
pub const NAS: &str = "nina";
pub const HELPDESK: &str = "harry";
pub const RESOLVER: &str = "rita";

pub const OAK: &str = "V1A2B";
pub const ELM: &str = "X9Y8Z";
pub const TEAM: &str = "oaklodge.team@nhs.net";

pub fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("bad instant {text:?}: {e}")).to_utc()
}

/// Monday 23 November 2026, 10:30 GMT: the NAS is open.
pub fn in_hours() -> DateTime<Utc> {
    utc("2026-11-23T10:30:00Z")
}

/// Monday 23 November 2026, 19:30 GMT: out of hours.
pub fn out_of_hours() -> DateTime<Utc> {
    utc("2026-11-23T19:30:00Z")
}

/// The history starts a week earlier, so ages and due times vary.
fn history() -> DateTime<Utc> {
    utc("2026-11-16T10:00:00Z")
}

pub struct World {
    pub dir: TempDir,
    pub service: Arc<Service>,
}

pub fn ticket(category: Category, requester: &str, ods: Option<&str>, subject: &str) -> CreateTicket {
    CreateTicket {
        category,
        channel: Channel::Phone,
        received_at: None,
        requester_name: requester.into(),
        requester_email: None,
        requester_phone: None,
        ods: ods.map(str::to_owned),
        account: None,
        mailbox: None,
        mailbox_name: None,
        subject: subject.into(),
        body: format!("{subject}.\nCalled from the office line."),
        incomplete: false,
    }
}

impl World {
    pub fn new() -> World {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let service =
            Arc::new(Service::open(&dir.path().join("db"), OpenMode::CreateIfMissing).expect("a new database"));
        let world = World { dir, service };
        let t0 = history();
        world.run(SUP, t0, &Init);
        for (name, role) in [(NAS, Role::Nas), (HELPDESK, Role::Helpdesk), (RESOLVER, Role::Resolver)] {
            world.run(SUP, t0, &AddOperator { username: name.into(), role });
        }
        for (ods, name, ig) in [(OAK, "Oak Lodge", IgStatus::DsptStandardsMet), (ELM, "Elm House", IgStatus::NotMet)] {
            world.run(SUP, t0, &AddOrganisation { ods: ods.into(), name: name.into(), ig, administered_by: None });
        }
        for (i, (first, last)) in
            [("Jo", "Bloggs"), ("Sam", "Smith"), ("Ann", "Jones"), ("Pat", "Lee")].iter().enumerate()
        {
            world.run(
                SUP,
                t0,
                &CreateAccount {
                    first: (*first).into(),
                    last: (*last).into(),
                    mobile: format!("07700{:06}", 900_100 + i),
                    ods: OAK.into(),
                    email: format!("{}.{}@oaklodge.example", first.to_lowercase(), last.to_lowercase()),
                    not_duplicate: true,
                },
            );
        }
        // A mailbox owner must be active: the directory reports the first
        // password change of all but Pat, who stays pending activation.
        for active in ["jo.bloggs@nhs.net", "sam.smith@nhs.net", "ann.jones@nhs.net"] {
            world.run(SUP, t0, &RecordPasswordChange { address: active.into() });
        }
        world.run(
            SUP,
            t0,
            &CreateMailbox {
                address: TEAM.into(),
                name: "Oak Lodge Team".into(),
                ods: OAK.into(),
                owner: "jo.bloggs@nhs.net".into(),
                sponsored_by: None,
            },
        );
        for member in ["sam.smith@nhs.net", "ann.jones@nhs.net"] {
            world.run(SUP, t0, &AddMember { mailbox: TEAM.into(), account: member.into(), reason: None });
        }
        let day = chrono::Duration::days(1);
        world.ticket(t0 + day, ticket(Category::NewAccount, "Jo Bloggs", Some(OAK), "New starter on Monday"));
        world.ticket(t0 + day * 4, ticket(Category::Leaver, "Jo Bloggs", Some(OAK), "Sam is leaving"));
        world.ticket(
            utc("2026-11-22T20:00:00Z"),
            ticket(Category::PasswordReset, "Pat Lee", Some(OAK), "Forgotten password"),
        );
        world
            .ticket(utc("2026-11-22T21:00:00Z"), ticket(Category::Move, "Ann Jones", Some(OAK), "Moving to Elm House"));
        world
    }

    pub fn run<O: Registered>(&self, operator: &str, now: DateTime<Utc>, op: &O) -> O::Answer {
        self.service.execute(&Ctx::new(operator, now), op).unwrap_or_else(|e| panic!("{} refused: {e}", O::NAME))
    }

    fn ticket(&self, at: DateTime<Utc>, new: CreateTicket) -> Done<Ticket> {
        self.run(SUP, at, &new)
    }

    /// A console for `operator` with its clock stopped at `now`, plain
    /// (no colour), on the default keymap.
    pub fn app(&self, operator: &str, now: DateTime<Utc>) -> App {
        let desk = LocalDesk::new(self.service.clone(), operator, Clock::Fixed(now));
        App::new(Box::new(desk), KeyMap::default(), Theme::plain())
            .unwrap_or_else(|e| panic!("console for {operator}: {e}"))
    }
}

/// Draws the console at `width`×`height` and returns the screen as text,
/// one line per row, trailing spaces trimmed.
pub fn screen(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    terminal.draw(|frame| app.draw(frame)).expect("a frame");
    let buffer = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..height {
        let mut line = String::new();
        for x in 0..width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The message line's text, or "" when there is none.
pub fn message(app: &App) -> String {
    app.message().map(|m| m.text.clone()).unwrap_or_default()
}
