//! caredesk: the console and engine of the NHSmail social care national
//! administration service, the national helpdesk and the resolver group.
//!
//! Layers, outermost last: [`domain`] holds the rules and knows nothing of
//! storage or screens; [`store`] keeps records in sled; [`service`] is the
//! only way to change them; [`daemon`] serves one service to many operators
//! over a Unix socket; [`desk`] is how the edges reach a service, in this
//! process or through the daemon; [`console`] and [`cli`] are the edges.
//! [`text`] is the one sanitiser for outside text on its way to a terminal,
//! a log or the store.

pub mod cli;
pub mod config;
pub mod console;
pub mod daemon;
pub mod demo;
pub mod desk;
pub mod domain;
pub mod import;
pub mod mail;
pub mod memory;
pub mod service;
pub mod store;
pub mod text;
