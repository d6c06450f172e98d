//! The console driven the way an operator drives it: key strings into the
//! app, and the screen read back from ratatui's test backend.

mod world;

mod accounts;
mod dashboard;
mod frame;
mod keys;
mod mail_view;
mod mailboxes;
mod marks;
mod paste;
mod queue;
mod waiting;
