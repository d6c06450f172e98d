//! Outside text on its way to the console's screen, through the crate's one
//! sanitiser ([`crate::text`]) under the names the panes use.

pub use crate::text::{REPLACEMENT, lines as clean_lines, one_line as clean};
