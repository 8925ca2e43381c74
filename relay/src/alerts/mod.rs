//! SMS alerts from the block relay: computed from the registers it holds, queued in a durable
//! outbox, sent through a Kannel SMS gateway when it answers.
//!
//! - [`rules`] (pure): which alerts are due now, by the relay's clock (a parameter), from the due
//!   list and growth assessments: to beneficiaries (a service due tomorrow; no weight gain), to
//!   sevikas (overdue services; no entries for 7 days), to supervisors (SAM children, inactive
//!   centres); each with a deterministic idempotency key. Words in [`text`], Hindi by default.
//! - [`contacts`]: workers' numbers and language choices (`HOME/contacts.json`).
//! - [`sms`] (pure): GSM-7 or UCS-2, cut into parts without splitting a character.
//! - [`outbox`] (pure): a message's states, queued → sending → sent / failed (retry at) /
//!   given-up, with backoff; [`store`]: the durable outbox (`HOME/outbox/`, flushed writes).
//! - [`sender`]: Kannel's `sendsms` HTTP interface, one round at a time.
//!
//! [`start`] makes the task the relay runs beside its daemon: every `every` it computes the
//! alerts, queues the new ones, and (with a gateway configured) sends what is ready.
//!
//! **Who sends.** Only a block relay, and of the block relays certified for its block that it
//! knows (certificates that count now, not revoked), only the one with the newest certificate
//! ([`is_sender`]): district relays and the state hub, which may hold the same registers, never
//! compute nor send alerts, and a block laptop replaced by a newly certified one stops sending
//! as soon as it learns of the new certificate (at its next sync with the district). Both
//! laptops would send only while each is unaware of the other; `docs/operations.md` says how a
//! replacement is done so that this does not happen (stop and revoke the old one first, and
//! carry its `outbox/` over so that what it sent is not sent again).

pub mod contacts;
pub mod outbox;
pub mod rules;
pub mod sender;
pub mod sms;
pub mod store;
pub mod text;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sampark_crdt::cert::Role;
use sampark_crdt::due::{Schedule, Settings};
use sampark_crdt::scope::Level;
use sampark_crdt::ticket::Tier;
use sampark_node::daemon::{Extra, Stopping};
use sampark_node::home::Home;
use sampark_node::ops;

pub use contacts::{Contacts, Lang};
pub use outbox::{Backoff, Message, State};
pub use rules::{Alert, Kind, Recipient};
pub use sender::{Gateway, read_password_file};
pub use store::Outbox;

/// How the relay computes and sends alerts.
#[derive(Debug, Clone)]
pub struct Options {
    /// The SMS gateway; without one, alerts are computed and queued but not sent.
    pub gateway: Option<Gateway>,
    /// How often to compute and send.
    pub every: Duration,
    /// Retries of failed messages.
    pub backoff: Backoff,
}

/// Whether `node` is the relay that sends its block's alerts now (see the module docs).
pub fn is_sender(node: &ops::Node) -> bool {
    let Some(grant) = node.scope_grants().into_iter().find(|g| Tier::of_grant(g) == Some(Tier::Block)) else {
        return false;
    };
    let now = node.now();
    let trust = node.trust_store();
    let newest = trust
        .certificates()
        .filter(|c| c.role == Role::BlockRelay && c.scope == grant.scope && trust.counts(c, now, 0))
        .max_by(|a, b| a.not_before.cmp(&b.not_before).then_with(|| a.subject.cmp(&b.subject)));
    newest.is_some_and(|c| c.subject == node.public())
}

/// The register entries of every centre the node holds, by centre, each with its district's
/// programme (from the district relay's certificate).
pub fn centres(node: &ops::Node) -> Vec<rules::Centre> {
    let mut by_centre: std::collections::BTreeMap<sampark_crdt::Scope, Vec<_>> = std::collections::BTreeMap::new();
    for doc in node.documents_held() {
        let id = doc.id();
        if !id.kind.is_ticket() && id.scope.level() == Level::Awc {
            by_centre.entry(id.scope.clone()).or_default().extend(sampark_crdt::register::entries(doc));
        }
    }
    let (trust, now) = (node.trust_store(), node.now());
    by_centre
        .into_iter()
        .map(|(scope, entries)| {
            let settings = Settings::from(trust.programme(&scope, now));
            rules::Centre { scope, entries, settings }
        })
        .collect()
}

/// One round: if this relay is its block's sender, compute and queue the alerts due now, then
/// send what is ready through the gateway (if any). Blocking.
fn round(node: &Arc<Mutex<ops::Node>>, outbox: &Outbox, contacts: &Contacts, options: &Options, agent: &ureq::Agent) {
    let (centres, now_ms) = {
        let Ok(n) = node.lock() else { return };
        if !is_sender(&n) {
            return;
        }
        (centres(&n), n.now().0)
    };
    let Ok(schedule) = Schedule::bihar() else { return };
    let cx = rules::Context { schedule: &schedule, contacts, now_ms };
    let mut queued = 0;
    for alert in rules::alerts(&centres, cx) {
        match outbox.offer(alert, now_ms) {
            Ok(true) => queued += 1,
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "could not queue an alert"),
        }
    }
    if queued > 0 {
        tracing::info!(queued, "alerts queued");
    }
    if let Some(gateway) = &options.gateway {
        let clock = || sampark_node::ops::wall_clock().0;
        if let Err(e) = sender::round(outbox, gateway, agent, &options.backoff, &clock) {
            tracing::error!(error = %e, "the SMS outbox failed");
        }
    }
}

/// Opens the outbox and reads the contacts of `home`; gives messages left in `sending` up
/// (at most once); returns the outbox (for the helpdesk API) and the task to run beside the
/// daemon. Fails in plain words when the outbox or the contacts file cannot be read.
pub fn start(home: &Home, options: Options) -> Result<(Outbox, Extra), String> {
    let contacts = Contacts::load(home.dir()).map_err(|e| e.to_string())?;
    let outbox = Outbox::open(home.dir()).map_err(|e| e.to_string())?;
    let given_up = outbox.recover(ops::wall_clock().0).map_err(|e| e.to_string())?;
    if given_up > 0 {
        tracing::warn!(given_up, "messages interrupted while sending were given up, not sent again");
    }
    let shared = outbox.clone();
    let task = move |node: Arc<Mutex<ops::Node>>, stopping: Stopping| -> Stopping {
        Box::pin(async move {
            tracing::info!(
                gateway = options.gateway.as_ref().map_or("none (queued, not sent)", |g| g.url.as_str()),
                every_s = options.every.as_secs_f64(),
                "SMS alerts started"
            );
            let agent = sender::agent();
            let mut timer = tokio::time::interval(options.every);
            tokio::pin!(stopping);
            loop {
                tokio::select! {
                    biased;
                    () = &mut stopping => break,
                    _ = timer.tick() => {
                        let (node, outbox, contacts, options, agent) =
                            (Arc::clone(&node), shared.clone(), contacts.clone(), options.clone(), agent.clone());
                        let work = tokio::task::spawn_blocking(move || round(&node, &outbox, &contacts, &options, &agent));
                        let _ = work.await;
                    }
                }
            }
        })
    };
    Ok((outbox, Box::new(task)))
}

/// Two tasks as one: both get the node and both stop when the daemon does.
pub fn together(first: Extra, second: Extra) -> Extra {
    Box::new(move |node: Arc<Mutex<ops::Node>>, stopping: Stopping| -> Stopping {
        Box::pin(async move {
            let (tx, rx) = tokio::sync::watch::channel(false);
            let stop = |mut rx: tokio::sync::watch::Receiver<bool>| -> Stopping {
                Box::pin(async move {
                    let _ = rx.wait_for(|s| *s).await;
                })
            };
            let a = tokio::spawn(first(Arc::clone(&node), stop(rx.clone())));
            let b = tokio::spawn(second(node, stop(rx)));
            stopping.await;
            let _ = tx.send(true);
            let _ = a.await;
            let _ = b.await;
        })
    })
}
