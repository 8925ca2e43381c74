//! `sampark-relay operator add|list|remove`: the command line of [`super`].
//!
//! `add` reads the password from the first line of standard input (so it is neither in the
//! shell's history nor in the process list): `read -rs PW; echo "$PW" | sampark-relay operator
//! add ...`, or typed at the prompt-less terminal followed by Enter.

use std::io::BufRead;
use std::path::PathBuf;

use clap::Subcommand;
use sampark_node::home::Home;

use super::{Summary, add, list, remove};

/// What to do with operators.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add a helpdesk operator: a new key, certified by this relay as an operator over its own
    /// scope, and a password (read from the first line of standard input, 8 characters or more).
    /// Do it while the relay is stopped; it reads its operators when it starts.
    Add {
        /// The relay's home.
        #[arg(long)]
        home: PathBuf,
        /// The operator's user name: 1 to 32 of a-z, 0-9, '.', '_' and '-'.
        #[arg(long)]
        user: String,
        /// Days the operator's certificate is valid (never past the relay's own).
        #[arg(long, default_value_t = 365)]
        days: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List this relay's operators.
    List {
        /// The relay's home.
        #[arg(long)]
        home: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove an operator: revokes the key from now (the revocation spreads at the next
    /// contacts) and deletes the operator's file. Do it while the relay is stopped.
    Remove {
        /// The relay's home.
        #[arg(long)]
        home: PathBuf,
        /// The operator's user name.
        #[arg(long)]
        user: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn show(json: bool, value: &impl serde::Serialize, text: String) {
    if json {
        println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
    } else {
        println!("{text}");
    }
}

/// The first line of standard input, without its line ending.
fn read_password() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("could not read the password from standard input: {e}"))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

fn line(s: &Summary) -> String {
    format!("{}  key {}…  valid until {}", s.user, s.key.get(..8).unwrap_or_default(), s.valid_until)
}

/// Runs `command` at time `now`; prints the result.
pub fn run(command: Command, now: sampark_crdt::Timestamp) -> Result<(), String> {
    match command {
        Command::Add { home, user, days, json } => {
            let password = read_password()?;
            let added = add(&Home::new(home), &user, &password, days, now).map_err(|e| e.to_string())?;
            let text = format!("added operator {} over {}; key {}", added.user, added.scope, added.key);
            show(json, &added, text);
        }
        Command::List { home, json } => {
            let all = list(&Home::new(home)).map_err(|e| e.to_string())?;
            let text = if all.is_empty() {
                "no operators yet".to_owned()
            } else {
                all.iter().map(line).collect::<Vec<_>>().join("\n")
            };
            show(json, &all, text);
        }
        Command::Remove { home, user, json } => {
            let removed = remove(&Home::new(home), &user, now).map_err(|e| e.to_string())?;
            let text = format!("removed operator {}; its key is revoked from now", removed.user);
            show(json, &removed, text);
        }
    }
    Ok(())
}
