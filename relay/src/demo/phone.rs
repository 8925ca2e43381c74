//! What a sevika does on her phone, through the real command line (`sampark-relay phone ...`,
//! which is `sampark-node ...`): record register entries, raise tickets, meet another node, and
//! look at a ticket. While the phone's daemon runs, these go through its local API.

use std::path::Path;

use serde_json::Value;

use super::chain::Phone;
use super::procs::Bin;
use super::{DemoError, at};

fn home(p: &Path) -> Result<&str, DemoError> {
    p.to_str().ok_or_else(|| DemoError::Failed(format!("{} is not UTF-8", p.display())))
}

/// Records a register entry (`phone record --register R --entry JSON`).
pub fn record(bin: &Bin, phone: &Phone, register: &str, entry: &Value) -> Result<Value, DemoError> {
    let entry = entry.to_string();
    bin.json(&["phone", "record", "--home", home(&phone.home)?, "--register", register, "--entry", &entry, "--json"])
}

/// Raises a ticket (`phone ticket raise`); returns its ID.
pub fn raise(bin: &Bin, phone: &Phone, category: &str, text: &str) -> Result<String, DemoError> {
    let shown = bin.json(&[
        "phone",
        "ticket",
        "raise",
        "--home",
        home(&phone.home)?,
        "--category",
        category,
        "--text",
        text,
        "--json",
    ])?;
    at(&shown, &["id"])
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| DemoError::Failed(format!("no ticket ID in {shown}")))
}

/// One contact with the node at `peer` (`phone sync --peer`); returns the report. A contact
/// that did not complete is an error.
pub fn sync(bin: &Bin, phone: &Phone, peer: &str) -> Result<Value, DemoError> {
    let report = bin.json(&["phone", "sync", "--home", home(&phone.home)?, "--peer", peer, "--json"])?;
    if at(&report, &["outcome"]) == "complete" {
        Ok(report)
    } else {
        Err(DemoError::Failed(format!("{}'s contact with {peer} did not complete: {report}", phone.name)))
    }
}

/// The ticket `id` as the node in `node_home` holds it (`ticket show --json`), or `None` if it
/// holds no such ticket. Works on a relay's home as well as a phone's.
pub fn ticket(bin: &Bin, node_home: &Path, id: &str) -> Result<Option<Value>, DemoError> {
    let out = bin.output(&["phone", "ticket", "show", id, "--home", home(node_home)?, "--json"], None)?;
    match out.code {
        0 => out.json().map(Some),
        1 => Ok(None),
        code => Err(DemoError::Command {
            what: format!("ticket show {id} on {}", node_home.display()),
            code,
            stderr: out.stderr.trim().to_string(),
        }),
    }
}

/// The ticket as text, as the sevika reads it (`ticket show --lang hi|en`).
pub fn ticket_text(bin: &Bin, node_home: &Path, id: &str, lang: &str) -> Result<String, DemoError> {
    Ok(bin.run(&["phone", "ticket", "show", id, "--home", home(node_home)?, "--lang", lang])?.stdout)
}

/// The node's status (`status --json`).
pub fn status(bin: &Bin, node_home: &Path) -> Result<Value, DemoError> {
    bin.json(&["phone", "status", "--home", home(node_home)?, "--json"])
}
