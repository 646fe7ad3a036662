//! Email over SMTP: the settings `whygo serve` takes (`WHYGO_SMTP_URL`,
//! `WHYGO_MAIL_FROM`, `WHYGO_PUBLIC_URL`) and the transport. Without an SMTP
//! URL email is off: nothing is queued, and the admin page says so.
//!
//! The URL may carry a password (`smtp://user:pass@host:587?tls=required`);
//! it is given to lettre and nowhere else: what is logged or shown is
//! [`redact`]ed.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart, header};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

/// A message to send, as the `email.send` job carries it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Outgoing {
    pub to: String,
    pub to_name: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// What it is: "checkin", "escalation-manager", "digest"…
    pub kind: String,
    /// The week (check-in day) or the digest's day it is about.
    pub week: chrono::NaiveDate,
}

/// How a send failed.
#[derive(Debug, PartialEq, Eq)]
pub enum SendError {
    /// Try again later: the server is down, busy or answered 4xx.
    Transient(String),
    /// Trying again cannot help: a bad address, a 5xx refusal.
    Permanent(String),
}

/// What the admin page and the start-up log say about email.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailInfo {
    /// The SMTP URL without its password; None: email is off.
    pub server: Option<String>,
    pub from: String,
    pub public_url: String,
}

impl MailInfo {
    pub fn enabled(&self) -> bool {
        self.server.is_some()
    }
}

/// The email settings of `whygo serve` (flags or environment).
#[derive(Clone, Debug, Default)]
pub struct MailSettings {
    pub smtp_url: Option<String>,
    pub from: Option<String>,
    pub public_url: Option<String>,
}

impl MailSettings {
    /// The mailer (`listening`: the links' address when no public URL is
    /// set), and the one line of the log saying whether email is on.
    pub fn mailer(&self, listening: &str) -> Result<Mailer, String> {
        let public_url = self
            .public_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .unwrap_or(listening);
        let mailer = Mailer::new(self.smtp_url.as_deref(), self.from.as_deref(), public_url)?;
        let info = mailer.info();
        match &info.server {
            Some(server) => tracing::info!(
                smtp = %server,
                from = %info.from,
                links = %info.public_url,
                "email is on: reminders, escalations and digests are sent"
            ),
            None => tracing::info!(
                "email is off (no WHYGO_SMTP_URL): no reminder, escalation or digest is sent"
            ),
        }
        Ok(mailer)
    }
}

/// The mailer: the SMTP transport when email is on.
#[derive(Clone)]
pub struct Mailer {
    /// The transport and the sender, when email is on.
    transport: Option<(Arc<AsyncSmtpTransport<Tokio1Executor>>, Mailbox)>,
    info: MailInfo,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("info", &self.info).finish()
    }
}

/// The sender when `WHYGO_MAIL_FROM` is not set.
pub const DEFAULT_FROM: &str = "whygo <whygo@localhost>";

/// How long one message may take to send.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

impl Mailer {
    /// Email off: nothing is sent.
    pub fn off(public_url: &str) -> Mailer {
        Mailer {
            transport: None,
            info: MailInfo {
                server: None,
                from: DEFAULT_FROM.to_owned(),
                public_url: public_url.trim_end_matches('/').to_owned(),
            },
        }
    }

    /// From the settings: `smtp_url` None or blank turns email off. A URL
    /// or sender that does not read is an error saying which (never the
    /// password).
    pub fn new(
        smtp_url: Option<&str>,
        from: Option<&str>,
        public_url: &str,
    ) -> Result<Mailer, String> {
        let mut mailer = Mailer::off(public_url);
        let Some(url) = smtp_url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(mailer);
        };
        let from_text = from
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .unwrap_or(DEFAULT_FROM);
        let sender: Mailbox = from_text
            .parse()
            .map_err(|e| format!("WHYGO_MAIL_FROM {from_text:?} is not an email address: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("WHYGO_SMTP_URL {} does not read: {e}", redact(url)))?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        mailer.transport = Some((Arc::new(transport), sender));
        mailer.info.server = Some(redact(url));
        mailer.info.from = from_text.to_owned();
        Ok(mailer)
    }

    pub fn info(&self) -> &MailInfo {
        &self.info
    }

    pub fn enabled(&self) -> bool {
        self.transport.is_some()
    }

    /// Builds and sends one message: a plain-text and an HTML part.
    pub async fn send(&self, m: &Outgoing) -> Result<(), SendError> {
        let Some((transport, from)) = &self.transport else {
            return Err(SendError::Permanent(
                "email is off (no WHYGO_SMTP_URL)".to_owned(),
            ));
        };
        let to: Mailbox = format!("{} <{}>", quoted_name(&m.to_name), m.to)
            .parse()
            .or_else(|_| m.to.parse())
            .map_err(|e| {
                SendError::Permanent(format!("{:?} is not an email address: {e}", m.to))
            })?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(m.subject.clone())
            .header(header::MIME_VERSION_1_0)
            .multipart(MultiPart::alternative_plain_html(
                m.text.clone(),
                m.html.clone(),
            ))
            .map_err(|e| SendError::Permanent(format!("cannot build the message: {e}")))?;
        match transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }
}

/// A display name as a quoted string (its quotes and backslashes escaped).
fn quoted_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    format!("\"{clean}\"")
}

/// The URL with its password replaced by `***`: what may be logged.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(not a URL)".to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}{tail}")
            } else {
                format!("{scheme}://{user}@{host}{tail}")
            }
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_survives_redaction() {
        assert_eq!(
            redact("smtps://mailer:s3cr3t@smtp.example.com:465"),
            "smtps://mailer:***@smtp.example.com:465"
        );
        assert_eq!(
            redact("smtp://me:p%40ss:word@mx.example/ehlo?tls=required"),
            "smtp://me:***@mx.example/ehlo?tls=required"
        );
        assert_eq!(redact("smtp://127.0.0.1:2525"), "smtp://127.0.0.1:2525");
        assert_eq!(redact("smtp://user@host"), "smtp://user@host");
        assert_eq!(redact("nonsense"), "(not a URL)");
    }

    #[test]
    fn no_url_is_email_off_and_a_bad_one_is_refused_without_its_password() {
        let off = Mailer::new(None, None, "http://x/").expect("off");
        assert!(!off.enabled());
        assert_eq!(off.info().public_url, "http://x");
        assert!(
            !Mailer::new(Some("  "), None, "http://x")
                .expect("off")
                .enabled()
        );
        let bad = Mailer::new(Some("ftp://u:hunter2@host"), None, "http://x").expect_err("bad");
        assert!(!bad.contains("hunter2"), "{bad}");
        let from = Mailer::new(
            Some("smtp://127.0.0.1:2525"),
            Some("not an address"),
            "http://x",
        )
        .expect_err("bad from");
        assert!(from.contains("WHYGO_MAIL_FROM"), "{from}");
        let on = Mailer::new(
            Some("smtp://u:pw@127.0.0.1:2525"),
            Some("whygo <w@example.com>"),
            "http://x",
        )
        .expect("on");
        assert!(on.enabled());
        assert_eq!(
            on.info().server.as_deref(),
            Some("smtp://u:***@127.0.0.1:2525")
        );
        assert!(!format!("{on:?}").contains("pw@"));
    }

    #[test]
    fn display_names_are_quoted() {
        assert_eq!(quoted_name("O\"Brien, Ann\\"), "\"O\\\"Brien, Ann\\\\\"");
    }
}
