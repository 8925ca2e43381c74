//! Sending through Kannel's `sendsms` HTTP interface: the thin driver of the outbox's state
//! machine.
//!
//! Each part is one `GET {gateway}/cgi-bin/sendsms?username=&password=&from=&to=+91XXXXXXXXXX&
//! text=&coding=&charset=UTF-8[&udh=]`, fire and forget (no delivery report asked). Kannel answers
//! `202 Accepted` with `0: Accepted for delivery` (or `Sent.` from older versions): that is
//! success; any other answer is a refusal, retried with backoff. Hindi goes as `coding=2`
//! (Kannel turns the UTF-8 text into UCS-2); a message of several parts carries the 6-byte
//! concatenation header (`udh=05 00 03 <ref> <total> <seq>`, the reference from the message's
//! key), so the phone joins the parts the relay cut ([`super::sms`]), never inside a
//! character.
//!
//! "Only when the relay has connectivity": when the gateway does not answer at all (refused
//! connection, time-out), the message is failed with its retry time and the round stops there;
//! the other messages stay queued, untouched, until the next round finds the gateway answering.

use std::time::Duration;

use super::outbox::{Backoff, Message};
use super::sms::Coding;
use super::store::{Outbox, OutboxError};

/// How long one request to the gateway may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A Kannel `sendsms` interface and its account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    /// The smsbox's address, e.g. `http://127.0.0.1:13013` (the path is added).
    pub url: String,
    /// The `sendsms-user`'s username.
    pub user: String,
    /// Its password.
    pub password: String,
    /// The sender ID (`from`), e.g. `ICDSBR`.
    pub from: String,
}

/// The gateway's password: the first line of the file at `path` (`--sms-password-file`), which
/// must be readable by its owner only (mode 0600, as `docs/operations.md` sets it up): a file
/// others may read is refused, in words that give the `chmod` ([`crate::secret_file`]).
pub fn read_password_file(path: &std::path::Path) -> Result<String, String> {
    crate::secret_file::first_line(path, "--sms-password-file")
}

/// Why a part was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// The gateway did not answer (no connectivity).
    Unreachable(String),
    /// It answered, but not with acceptance.
    Refused(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Unreachable(why) => write!(f, "the gateway does not answer: {why}"),
            SendError::Refused(why) => write!(f, "the gateway refused: {why}"),
        }
    }
}

/// Percent-encodes every byte but the unreserved ones.
fn percent(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(*b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The concatenation header of part `seq` (0-based) of `total`, with reference `reference`.
pub fn udh(reference: u8, total: usize, seq: usize) -> [u8; 6] {
    let byte = |n: usize| u8::try_from(n).unwrap_or(u8::MAX);
    [0x05, 0x00, 0x03, reference, byte(total), byte(seq + 1)]
}

impl Gateway {
    /// The `sendsms` URL for one part.
    pub fn url_for(&self, phone: &str, text: &str, coding: Coding, header: Option<[u8; 6]>) -> String {
        let mut url = format!(
            "{}/cgi-bin/sendsms?username={}&password={}&from={}&to={}&text={}&coding={}&charset=UTF-8",
            self.url.trim_end_matches('/'),
            percent(self.user.as_bytes()),
            percent(self.password.as_bytes()),
            percent(self.from.as_bytes()),
            percent(format!("+91{phone}").as_bytes()),
            percent(text.as_bytes()),
            coding.kannel(),
        );
        if let Some(h) = header {
            url.push_str("&udh=");
            url.push_str(&percent(&h));
        }
        url
    }

    /// Sends one part; `Ok` when Kannel accepted it.
    pub fn send(&self, agent: &ureq::Agent, url: &str) -> Result<(), SendError> {
        let mut response = agent.get(url).call().map_err(|e| SendError::Unreachable(e.to_string()))?;
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_string().unwrap_or_default();
        let body = body.trim();
        if (200..300).contains(&status) && (body.starts_with("0:") || body.starts_with("Sent")) {
            Ok(())
        } else {
            Err(SendError::Refused(format!("HTTP {status}: {}", body.chars().take(200).collect::<String>())))
        }
    }
}

/// An HTTP client for the gateway: no proxy, short time-outs, statuses as answers.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_connect(Some(Duration::from_secs(3)))
        .timeout_global(Some(TIMEOUT))
        .build()
        .new_agent()
}

/// The concatenation reference of a message: a byte of its key.
fn reference(m: &Message) -> u8 {
    u8::from_str_radix(m.alert.key.get(..2).unwrap_or("00"), 16).unwrap_or(0)
}

/// One sending round: expires what is too old, then sends every message that is ready, oldest
/// first, each marked `sending` (durably) before its first request. Stops at the first message
/// the gateway does not answer for. Returns how many messages were sent.
pub fn round(
    outbox: &Outbox,
    gateway: &Gateway,
    agent: &ureq::Agent,
    backoff: &Backoff,
    now: &dyn Fn() -> i64,
) -> Result<usize, OutboxError> {
    let mut sent = 0;
    for mut m in outbox.all()? {
        if m.expire(now()) {
            outbox.put(&m)?;
            continue;
        }
        if !m.ready(now()) {
            continue;
        }
        m.begin(now());
        outbox.put(&m)?;
        let total = m.parts.len();
        while let Some((seq, part)) = m.next_part() {
            let header = (total > 1).then(|| udh(reference(&m), total, seq));
            let url = gateway.url_for(&m.alert.phone, part, m.coding, header);
            match gateway.send(agent, &url) {
                Ok(()) => {
                    m.accepted(now());
                    outbox.put(&m)?;
                }
                Err(e) => {
                    m.failed(now(), &e.to_string(), backoff);
                    outbox.put(&m)?;
                    tracing::warn!(key = %m.alert.key, error = %e, state = m.state.name(), "an SMS was not sent");
                    if matches!(e, SendError::Unreachable(_)) {
                        return Ok(sent);
                    }
                    break;
                }
            }
        }
        if m.state == super::outbox::State::Sent {
            tracing::info!(key = %m.alert.key, kind = m.alert.kind.name(), parts = total, "SMS sent");
            sent += 1;
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_carries_utf8_text_coding_and_the_header() {
        let g = Gateway {
            url: "http://127.0.0.1:13013/".into(),
            user: "sampark".into(),
            password: "p&ss word".into(),
            from: "ICDSBR".into(),
        };
        let url = g.url_for("9000000010", "नम ते", Coding::Ucs2, Some(udh(0xab, 2, 1)));
        assert!(url.starts_with("http://127.0.0.1:13013/cgi-bin/sendsms?username=sampark&password=p%26ss%20word&"));
        assert!(url.contains("&to=%2B919000000010&"));
        assert!(url.contains("&text=%E0%A4%A8%E0%A4%AE%20%E0%A4%A4%E0%A5%87&coding=2&charset=UTF-8"));
        assert!(url.ends_with("&udh=%05%00%03%AB%02%02"));
        assert!(!g.url_for("9000000010", "hi", Coding::Gsm7, None).contains("udh"));
    }

    #[test]
    fn an_unreachable_gateway_is_said_so() {
        let g = Gateway { url: "http://127.0.0.1:9".into(), user: "u".into(), password: "p".into(), from: "f".into() };
        let e = g.send(&agent(), &g.url_for("9000000010", "hi", Coding::Gsm7, None)).unwrap_err();
        assert!(matches!(e, SendError::Unreachable(_)), "{e}");
    }
}
