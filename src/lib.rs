//! caredesk: the console and engine of the NHSmail social care national
//! administration service, the national helpdesk and the resolver group.
//!
//! Layers, outermost last: [`domain`] holds the rules and knows nothing of
//! storage or screens; [`store`] keeps records in sled; [`service`] is the
//! only way to change them; [`cli`] is the command line at the edge.

pub mod cli;
pub mod console;
pub mod demo;
pub mod domain;
pub mod import;
pub mod service;
pub mod store;
