//! Authentication events: the data behind the dashboard, the reports and the audit log.
//!
//! Every sign-in (success, failure, lock, wrong MFA code), sign-out, password and MFA change,
//! unlock and admin change to a user is an [`AuthEvent`]. Pages and server functions hand
//! events to the [`sink::EventSink`], a bounded in-process queue that a background task
//! writes to DynamoDB in batches: recording never waits on DynamoDB and never fails a
//! sign-in; when the queue is full the event is dropped, counted and logged.
//!
//! - [`keys`]: an event's keys (time, day, owner) and where day counts are kept.
//! - [`store`]: the DynamoDB table and its key design (every read is a Query).
//! - [`sink`]: the queue and its writer.
//! - [`counts`]: per-day, per-hour counts written with the events (what the charts read).
//! - [`report`]: the figures of `/dashboard`, `/reports` and the audit log, and CSV.

pub mod counts;
pub mod keys;
pub mod report;
pub mod sink;
pub mod store;

use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    SignIn,
    SignInFailed,
    SignInLocked,
    MfaFailed,
    SignOut,
    PasswordChanged,
    PasswordReset,
    MfaEnabled,
    MfaDisabled,
    Unlocked,
    GroupAdded,
    GroupRemoved,
    UserDisabled,
    UserEnabled,
    /// An admin turned off the user's two-step verification (a lost phone).
    MfaReset,
}

impl EventKind {
    pub const ALL: [EventKind; 15] = [
        EventKind::SignIn,
        EventKind::SignInFailed,
        EventKind::SignInLocked,
        EventKind::MfaFailed,
        EventKind::SignOut,
        EventKind::PasswordChanged,
        EventKind::PasswordReset,
        EventKind::MfaEnabled,
        EventKind::MfaDisabled,
        EventKind::Unlocked,
        EventKind::GroupAdded,
        EventKind::GroupRemoved,
        EventKind::UserDisabled,
        EventKind::UserEnabled,
        EventKind::MfaReset,
    ];

    /// Events anyone can cause in bulk (sign-in attempts, sign-outs): a flood of them must
    /// never push out the rest — admin actions and account security changes — which go
    /// through their own queue, written first.
    pub fn is_bulk(self) -> bool {
        matches!(
            self,
            EventKind::SignIn
                | EventKind::SignInFailed
                | EventKind::SignInLocked
                | EventKind::MfaFailed
                | EventKind::SignOut
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::SignIn => "sign_in",
            EventKind::SignInFailed => "sign_in_failed",
            EventKind::SignInLocked => "sign_in_locked",
            EventKind::MfaFailed => "mfa_failed",
            EventKind::SignOut => "sign_out",
            EventKind::PasswordChanged => "password_changed",
            EventKind::PasswordReset => "password_reset",
            EventKind::MfaEnabled => "mfa_enabled",
            EventKind::MfaDisabled => "mfa_disabled",
            EventKind::Unlocked => "unlocked",
            EventKind::GroupAdded => "group_added",
            EventKind::GroupRemoved => "group_removed",
            EventKind::UserDisabled => "user_disabled",
            EventKind::UserEnabled => "user_enabled",
            EventKind::MfaReset => "mfa_reset",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The words people read.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::SignIn => "Signed in",
            EventKind::SignInFailed => "Sign-in failed",
            EventKind::SignInLocked => "Sign-in refused: locked",
            EventKind::MfaFailed => "Wrong authenticator code",
            EventKind::SignOut => "Signed out",
            EventKind::PasswordChanged => "Password changed",
            EventKind::PasswordReset => "Password reset",
            EventKind::MfaEnabled => "Two-step verification on",
            EventKind::MfaDisabled => "Two-step verification off",
            EventKind::Unlocked => "Unlocked by an admin",
            EventKind::GroupAdded => "Added to a group",
            EventKind::GroupRemoved => "Removed from a group",
            EventKind::UserDisabled => "Account disabled",
            EventKind::UserEnabled => "Account enabled",
            EventKind::MfaReset => "Two-step verification reset by an admin",
        }
    }

    /// The outcome of a sign-in attempt, for the charts; `None` for other events.
    pub fn sign_in_outcome(self) -> Option<Outcome> {
        match self {
            EventKind::SignIn => Some(Outcome::Success),
            EventKind::SignInFailed | EventKind::MfaFailed => Some(Outcome::Failure),
            EventKind::SignInLocked => Some(Outcome::Locked),
            _ => None,
        }
    }
}

/// The three outcomes the charts split sign-ins by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    Locked,
}

/// How the user signed in (or tried to).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Password,
    Hosted,
    Google,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Password => "password",
            Method::Hosted => "hosted",
            Method::Google => "google",
        }
    }
    pub fn parse(s: &str) -> Option<Method> {
        [Method::Password, Method::Hosted, Method::Google]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Method::Password => "Email and password",
            Method::Hosted => "Hosted sign-in page",
            Method::Google => "Google",
        }
    }
}

impl From<crate::auth::identity::SignInMethod> for Method {
    fn from(m: crate::auth::identity::SignInMethod) -> Self {
        use crate::auth::identity::SignInMethod as S;
        match m {
            S::Password => Method::Password,
            S::Hosted => Method::Hosted,
            S::Google => Method::Google,
        }
    }
}

/// One event. `user` is the normalised account name (the email, lower-cased), also for
/// failed attempts on names that do not exist; `sub` is the account's stable id when the
/// event is about a known account (a sign-in, a sign-out, an account or admin change), so
/// that the event stays with the account when its e-mail changes; `actor` is the admin who
/// acted, if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthEvent {
    /// Milliseconds since the epoch.
    pub at_ms: i64,
    /// Random, to keep events of the same millisecond apart.
    pub id: String,
    pub kind: EventKind,
    pub user: String,
    /// The account's Cognito `sub`, when known (from a verified token or the directory).
    #[serde(default)]
    pub sub: Option<String>,
    pub method: Option<Method>,
    /// The client's network, truncated (IPv4 /24, IPv6 /48): enough to spot a pattern, not
    /// to identify a household.
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub actor: Option<String>,
    /// e.g. the group of a group change.
    pub detail: Option<String>,
}

impl AuthEvent {
    /// A new event at `now_ms` about `user`, with the request's client details.
    pub fn new(kind: EventKind, user: &str, now_ms: i64, meta: &RequestMeta) -> AuthEvent {
        AuthEvent {
            at_ms: now_ms,
            id: random_id(),
            kind,
            user: gatehouse_lockout::normalize_username(user),
            sub: None,
            method: None,
            ip: meta.ip.clone(),
            user_agent: meta.user_agent.clone(),
            actor: None,
            detail: None,
        }
    }
    pub fn method(mut self, method: impl Into<Method>) -> Self {
        self.method = Some(method.into());
        self
    }
    /// Files the event under the account `sub` rather than the address.
    pub fn of_account(mut self, sub: &str) -> Self {
        self.sub = Some(sub.to_string()).filter(|s| !s.is_empty());
        self
    }
    pub fn actor(mut self, actor: &str) -> Self {
        self.actor = Some(actor.to_string());
        self
    }
    pub fn detail(mut self, detail: &str) -> Self {
        self.detail = Some(detail.to_string());
        self
    }
}

fn random_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 6];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What an event records about the request: the truncated client network and the user agent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The longest user agent kept.
pub const USER_AGENT_MAX: usize = 200;

impl RequestMeta {
    /// From the request's headers and peer address. Behind a load balancer
    /// (`TRUST_FORWARDED_FOR=true`) the client is the last `X-Forwarded-For` entry, the one
    /// the balancer itself added; otherwise the header is ignored (anyone can send it).
    pub fn from_request(
        headers: &http::HeaderMap,
        peer: Option<SocketAddr>,
        trust_forwarded_for: bool,
    ) -> RequestMeta {
        let forwarded = trust_forwarded_for
            .then(|| {
                headers
                    .get_all("x-forwarded-for")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(','))
                    .last()
                    .and_then(|v| v.trim().parse::<IpAddr>().ok())
            })
            .flatten();
        let ip = forwarded.or(peer.map(|p| p.ip())).map(truncate_ip);
        let user_agent = headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| {
                ua.chars()
                    .filter(|c| !c.is_control())
                    .take(USER_AGENT_MAX)
                    .collect::<String>()
            })
            .filter(|ua| !ua.is_empty());
        RequestMeta { ip, user_agent }
    }
}

/// `203.0.113.7` → `203.0.113.0/24`; `2001:db8:1:2::5` → `2001:db8:1::/48`.
pub fn truncate_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => truncate_ip(IpAddr::V4(v4)),
            None => {
                let s = v6.segments();
                let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0);
                format!("{net}/48")
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_truncated_to_their_network() {
        assert_eq!(
            truncate_ip("203.0.113.7".parse().unwrap()),
            "203.0.113.0/24"
        );
        assert_eq!(
            truncate_ip("2001:db8:1:2::5".parse().unwrap()),
            "2001:db8:1::/48"
        );
        assert_eq!(
            truncate_ip("::ffff:198.51.100.9".parse().unwrap()),
            "198.51.100.0/24"
        );
    }

    #[test]
    fn forwarded_for_is_used_only_when_trusted() {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-forwarded-for", "1.2.3.4, 198.51.100.20".parse().unwrap());
        headers.insert("user-agent", "Mozilla/5.0\t test".parse().unwrap());
        let peer: SocketAddr = "10.0.0.5:4444".parse().unwrap();
        let trusted = RequestMeta::from_request(&headers, Some(peer), true);
        assert_eq!(trusted.ip.as_deref(), Some("198.51.100.0/24"));
        assert_eq!(trusted.user_agent.as_deref(), Some("Mozilla/5.0 test"));
        let direct = RequestMeta::from_request(&headers, Some(peer), false);
        assert_eq!(direct.ip.as_deref(), Some("10.0.0.0/24"));
        let long = "x".repeat(500);
        headers.insert("user-agent", long.parse().unwrap());
        let meta = RequestMeta::from_request(&headers, None, false);
        assert_eq!(meta.user_agent.unwrap().len(), USER_AGENT_MAX);
        assert_eq!(meta.ip, None);
    }

    #[test]
    fn kinds_round_trip_their_names() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(EventKind::parse("nope"), None);
    }
}
