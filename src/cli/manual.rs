//! The manual page and the shell completions, generated from the command
//! line's own definition so that they cannot drift from it. The package
//! ships what these print; `caredesk completions SHELL` also serves anyone
//! who installed by hand.

use anyhow::Result;
use clap::CommandFactory;

use super::args::{Cli, Cmd};

/// Prints the completions or the man page `cmd` asks for.
pub fn generated(cmd: &Cmd) -> Result<()> {
    let mut command = Cli::command();
    let mut out = std::io::stdout().lock();
    match cmd {
        Cmd::Completions { shell } => clap_complete::generate(*shell, &mut command, "caredesk", &mut out),
        Cmd::Man => clap_mangen::Man::new(command).render(&mut out)?,
        _ => unreachable!("only completions and man are generated"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_man_page_lists_every_command_group_with_what_it_is_for() {
        let mut page = Vec::new();
        clap_mangen::Man::new(Cli::command()).render(&mut page).unwrap();
        let page = String::from_utf8(page).unwrap();
        for group in Cli::command().get_subcommands().filter(|c| !c.is_hide_set()) {
            let about = group.get_about().map(|a| a.to_string()).unwrap_or_default();
            assert!(!about.is_empty(), "`caredesk {}` has no one-line description", group.get_name());
            assert!(page.contains(group.get_name()), "the man page does not name `{}`", group.get_name());
        }
    }

    #[test]
    fn bash_completion_offers_the_command_groups() {
        let mut script = Vec::new();
        clap_complete::generate(clap_complete::Shell::Bash, &mut Cli::command(), "caredesk", &mut script);
        let script = String::from_utf8(script).unwrap();
        assert!(script.contains("complete -F _caredesk"), "no completion function registered");
        assert!(script.contains("ticket"), "the ticket group is not offered");
    }
}
