//! The rules of the service: pure functions and plain data.
//!
//! Nothing in here reads a clock, touches a file, names sled or draws a
//! screen. Time comes in as an argument, so every rule can be tested with a
//! table of instants.

pub mod account;
pub mod address;
pub mod audit;
pub mod batch;
pub mod erasure;
pub mod hours;
pub mod lifecycle;
pub mod mail;
pub mod mail_reply;
pub mod mail_request;
pub mod mailbox;
pub mod names;
pub mod operator;
pub mod organisation;
pub mod permission;
pub mod policy;
pub mod record;
pub mod refusal;
pub mod routing;
pub mod saved_view;
pub mod search;
pub mod sla;
pub mod sms;
pub mod task_ticket;
pub mod text_module;
pub mod ticket;
pub mod ticket_flow;
pub mod time;
pub mod validate;
