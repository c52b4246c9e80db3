//! Pre-aggregated counts: what the charts show, kept per partition per UTC day and written
//! with the events, so that a chart costs one small `Query` whatever the activity behind it.
//!
//! A [`DayCounts`] holds, for one partition (a person's `sub#…` or `user#…`, or [`ALL`]) and
//! one UTC day, the sign-in attempts per hour by outcome, the successful sign-ins by method and
//! the number of events of any kind. The writer adds each batch's tally to the stored items
//! with `UpdateItem … ADD` (see [`super::store::EventStore::put_batch`]); the dashboard reads a
//! person's days, the reports [`ALL`]'s days. Pure functions here; the table lives in `store`.

use super::{AuthEvent, Method, Outcome};
use std::collections::BTreeMap;

/// The partition that counts every event (the reports).
pub const ALL: &str = "all";

/// The methods counted, in the order of [`DayCounts::methods`].
pub const METHODS: [Method; 3] = [Method::Password, Method::Hosted, Method::Google];

/// One partition's counts for one UTC day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayCounts {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    /// Sign-in attempts per UTC hour: `[success, failure, locked][hour]`.
    pub outcomes: [[u32; 24]; 3],
    /// Successful sign-ins per method, in [`METHODS`] order.
    pub methods: [u32; 3],
    /// Events of any kind.
    pub events: u32,
}

pub fn outcome_index(o: Outcome) -> usize {
    match o {
        Outcome::Success => 0,
        Outcome::Failure => 1,
        Outcome::Locked => 2,
    }
}

const OUTCOME_TAGS: [&str; 3] = ["s", "f", "l"];

impl DayCounts {
    pub fn new(day: &str) -> DayCounts {
        DayCounts {
            day: day.to_string(),
            ..Default::default()
        }
    }

    pub fn add_event(&mut self, e: &AuthEvent) {
        self.events += 1;
        let hour = (e.at_ms.rem_euclid(86_400_000) / 3_600_000) as usize;
        if let Some(outcome) = e.kind.sign_in_outcome() {
            self.outcomes[outcome_index(outcome)][hour] += 1;
            if outcome == Outcome::Success {
                if let Some(i) = e.method.and_then(|m| METHODS.iter().position(|x| *x == m)) {
                    self.methods[i] += 1;
                }
            }
        }
    }

    pub fn merge(&mut self, other: &DayCounts) {
        for (mine, theirs) in self.outcomes.iter_mut().zip(other.outcomes.iter()) {
            for (a, b) in mine.iter_mut().zip(theirs.iter()) {
                *a += b;
            }
        }
        for (a, b) in self.methods.iter_mut().zip(other.methods.iter()) {
            *a += b;
        }
        self.events += other.events;
    }

    /// The non-zero counters as (attribute name, value): `s07` = successes in hour 7,
    /// `m_password`, `n` (events). Only these are sent, so an update stays small.
    pub fn attributes(&self) -> Vec<(String, u32)> {
        let mut out = Vec::new();
        for (tag, hours) in OUTCOME_TAGS.iter().zip(self.outcomes.iter()) {
            for (hour, n) in hours.iter().enumerate() {
                if *n > 0 {
                    out.push((format!("{tag}{hour:02}"), *n));
                }
            }
        }
        for (m, n) in METHODS.iter().zip(self.methods.iter()) {
            if *n > 0 {
                out.push((format!("m_{}", m.as_str()), *n));
            }
        }
        if self.events > 0 {
            out.push(("n".to_string(), self.events));
        }
        out
    }

    /// Back from the attributes [`DayCounts::attributes`] names (others are ignored).
    pub fn from_attributes<'a>(
        day: &str,
        attrs: impl IntoIterator<Item = (&'a str, u32)>,
    ) -> DayCounts {
        let mut c = DayCounts::new(day);
        for (name, n) in attrs {
            if name == "n" {
                c.events = n;
            } else if let Some(method) = name.strip_prefix("m_") {
                if let Some(i) = METHODS.iter().position(|m| m.as_str() == method) {
                    c.methods[i] = n;
                }
            } else if name.len() == 3 {
                let (tag, hour) = name.split_at(1);
                let outcome = OUTCOME_TAGS.iter().position(|t| *t == tag);
                let hour = hour.parse::<usize>().ok().filter(|h| *h < 24);
                if let (Some(o), Some(h)) = (outcome, hour) {
                    c.outcomes[o][h] = n;
                }
            }
        }
        c
    }
}

/// The counts a batch of events adds: per (partition, day), for each event's own partition
/// and for [`ALL`].
pub fn tally(events: &[AuthEvent]) -> BTreeMap<(String, String), DayCounts> {
    let mut out: BTreeMap<(String, String), DayCounts> = BTreeMap::new();
    for e in events {
        let day = super::keys::day_of(e.at_ms);
        for partition in [super::keys::partition_of(e), ALL.to_string()] {
            out.entry((partition, day.clone()))
                .or_insert_with(|| DayCounts::new(&day))
                .add_event(e);
        }
    }
    out
}

/// Events as one set of days (any partition): what the charts draw from.
pub fn days_of(events: &[AuthEvent]) -> Vec<DayCounts> {
    tally(events)
        .into_iter()
        .filter(|((partition, _), _)| partition == ALL)
        .map(|(_, c)| c)
        .collect()
}

/// Several partitions' days added up per day (a person's account and address).
pub fn sum_by_day(days: impl IntoIterator<Item = DayCounts>) -> Vec<DayCounts> {
    let mut out: BTreeMap<String, DayCounts> = BTreeMap::new();
    for c in days {
        out.entry(c.day.clone())
            .or_insert_with(|| DayCounts::new(&c.day))
            .merge(&c);
    }
    out.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{EventKind, RequestMeta};

    fn event(kind: EventKind, user: &str, at_ms: i64, method: Option<Method>) -> AuthEvent {
        AuthEvent {
            method,
            ..AuthEvent::new(kind, user, at_ms, &RequestMeta::default())
        }
    }

    #[test]
    fn a_batch_is_counted_per_partition_day_and_hour_and_survives_its_attributes() {
        let day = 1_583_020_800_000i64; // 2020-03-01T00:00:00Z
        let mut signed_in = event(
            EventKind::SignIn,
            "a@example.com",
            day + 7 * 3_600_000 + 5,
            Some(Method::Hosted),
        );
        signed_in.sub = Some("s-1".into());
        let events = [
            signed_in,
            event(
                EventKind::SignInFailed,
                "a@example.com",
                day + 7 * 3_600_000,
                None,
            ),
            event(
                EventKind::SignInLocked,
                "a@example.com",
                day + 86_400_000 - 1,
                None,
            ),
            event(
                EventKind::MfaFailed,
                "b@example.com",
                day + 86_400_000,
                None,
            ),
            event(
                EventKind::PasswordChanged,
                "a@example.com",
                day + 60_000,
                None,
            ),
        ];
        let t = tally(&events);
        let all = &t[&(ALL.to_string(), "2020-03-01".to_string())];
        assert_eq!(all.events, 4);
        assert_eq!(all.outcomes[0][7], 1);
        assert_eq!(all.outcomes[1][7], 1);
        assert_eq!(all.outcomes[2][23], 1);
        assert_eq!(all.methods, [0, 1, 0]);
        let next = &t[&(ALL.to_string(), "2020-03-02".to_string())];
        assert_eq!((next.events, next.outcomes[1][0]), (1, 1));
        // The sign-in is the account's, the attempts the address's.
        assert_eq!(
            t[&("sub#s-1".to_string(), "2020-03-01".to_string())].events,
            1
        );
        assert_eq!(
            t[&("user#a@example.com".to_string(), "2020-03-01".to_string())].events,
            3
        );
        assert_eq!(t.len(), 5);
        // Stored and read back.
        let attrs = all.attributes();
        let back =
            DayCounts::from_attributes("2020-03-01", attrs.iter().map(|(k, v)| (k.as_str(), *v)));
        assert_eq!(&back, all);
        // A person's two partitions add up per day.
        let summed = sum_by_day([all.clone(), all.clone(), next.clone()]);
        assert_eq!(summed.len(), 2);
        assert_eq!(summed[0].events, 8);
    }
}
