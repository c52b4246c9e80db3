//! Figures for the pages: events → table rows and CSV, day counts ([`DayCounts`]) → bar
//! charts and the method split. Pure functions over what was already read, so they are tested
//! without a table.

use super::counts::{DayCounts, METHODS};
use super::{AuthEvent, EventKind};
use crate::model::{BarChart, EventRow, Series};
use time::{Date, Duration, OffsetDateTime};

/// The longest range a report covers.
pub const MAX_RANGE_DAYS: i64 = 31;
/// The default range: the last seven days, today included.
pub const DEFAULT_RANGE_DAYS: i64 = 7;

const MS_PER_HOUR: i64 = 3_600_000;
const MS_PER_DAY: i64 = 86_400_000;

/// An inclusive range of UTC days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DayRange {
    pub from: Date,
    pub to: Date,
}

impl DayRange {
    /// The last `days` days up to and including `today`.
    pub fn last(days: i64, today: Date) -> DayRange {
        DayRange {
            from: today - Duration::days(days - 1),
            to: today,
        }
    }
    /// `[from 00:00, to + 1 day 00:00)` in epoch milliseconds.
    pub fn bounds_ms(&self) -> (i64, i64) {
        let start = |d: Date| d.midnight().assume_utc().unix_timestamp() * 1000;
        (start(self.from), start(self.to) + MS_PER_DAY)
    }
    pub fn days(&self) -> i64 {
        (self.to - self.from).whole_days() + 1
    }
}

pub fn format_day(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

pub fn parse_day(s: &str) -> Option<Date> {
    let mut parts = s.trim().splitn(3, '-');
    let y: i32 = parts.next()?.parse().ok()?;
    let m: u8 = parts.next()?.parse().ok()?;
    let d: u8 = parts.next()?.parse().ok()?;
    Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()
}

/// The range asked for in a report's form, or the default (the last `default_days`, today
/// included) with a message saying why the request could not be used (nothing the user typed
/// is silently replaced).
pub fn parse_range(
    from: Option<&str>,
    to: Option<&str>,
    today: Date,
    default_days: i64,
) -> (DayRange, Option<String>) {
    let from = from.map(str::trim).filter(|s| !s.is_empty());
    let to = to.map(str::trim).filter(|s| !s.is_empty());
    let default = DayRange::last(default_days, today);
    let parsed_to = match to {
        None => Some(today),
        Some(s) => parse_day(s),
    };
    let Some(to_day) = parsed_to else {
        return (default, Some("Enter the end date as YYYY-MM-DD.".into()));
    };
    let parsed_from = match from {
        None => Some(to_day - Duration::days(default_days - 1)),
        Some(s) => parse_day(s),
    };
    let Some(from_day) = parsed_from else {
        return (default, Some("Enter the start date as YYYY-MM-DD.".into()));
    };
    if from_day > to_day {
        return (
            default,
            Some("The start date must not be after the end date.".into()),
        );
    }
    let range = DayRange {
        from: from_day,
        to: to_day,
    };
    if range.days() > MAX_RANGE_DAYS {
        return (
            default,
            Some(format!("Choose a range of at most {MAX_RANGE_DAYS} days.")),
        );
    }
    (range, None)
}

pub fn today(now_secs: i64) -> Date {
    OffsetDateTime::from_unix_timestamp(now_secs)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .date()
}

/// "2026-11-25 12:34:56 UTC".
pub fn format_at(at_ms: i64) -> String {
    let s = super::keys::sort_time(at_ms);
    format!("{} {} UTC", &s[..10], &s[11..19])
}

pub fn row(e: &AuthEvent) -> EventRow {
    EventRow {
        at: format_at(e.at_ms),
        kind: e.kind.as_str().to_string(),
        label: e.kind.label().to_string(),
        user: e.user.clone(),
        method: e.method.map(|m| m.label().to_string()),
        ip: e.ip.clone(),
        user_agent: e.user_agent.clone(),
        actor: e.actor.clone(),
        detail: e.detail.clone(),
    }
}

fn outcome_series(buckets: usize) -> [Series; 3] {
    let s = |name: &str, class: &str| Series {
        name: name.into(),
        class: class.into(),
        values: vec![0; buckets],
    };
    [
        s("Succeeded", "success"),
        s("Failed", "failure"),
        s("Refused: locked", "locked"),
    ]
}

/// Sign-in attempts in `range`, per hour (`hourly`) or per day, into the three outcome series
/// (succeeded, failed, refused while locked); days outside the range are ignored.
fn count_outcomes(days: &[DayCounts], range: DayRange, hourly: bool) -> [Series; 3] {
    let per_day = if hourly { 24 } else { 1 };
    let mut series = outcome_series(range.days() as usize * per_day);
    for c in in_range(days, range) {
        let Some(day) = parse_day(&c.day) else {
            continue;
        };
        let base = (day - range.from).whole_days() as usize * per_day;
        for (s, hours) in series.iter_mut().zip(c.outcomes.iter()) {
            for (hour, n) in hours.iter().enumerate() {
                s.values[base + if hourly { hour } else { 0 }] += n;
            }
        }
    }
    series
}

/// The days of `days` that fall in `range`.
fn in_range(days: &[DayCounts], range: DayRange) -> impl Iterator<Item = &DayCounts> {
    days.iter()
        .filter(move |c| parse_day(&c.day).is_some_and(|d| d >= range.from && d <= range.to))
}

/// "11-25" for each day of the range.
fn day_labels(range: DayRange) -> Vec<String> {
    (0..range.days())
        .map(|i| format_day(range.from + Duration::days(i))[5..].to_string())
        .collect()
}

/// What `/reports` and the API's `/api/v1/reports/signins` show of a range's counts.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SignInSummary {
    /// Sign-in attempts per hour, stacked by outcome.
    pub hourly: BarChart,
    /// Failures and refusals during a lock, per day.
    pub daily: BarChart,
    /// Successful sign-ins by method: (method, count).
    pub methods: Vec<(String, u32)>,
    pub total_events: u32,
}

pub fn sign_in_summary(days: &[DayCounts], range: DayRange) -> SignInSummary {
    SignInSummary {
        hourly: hourly_outcomes(days, range),
        daily: daily_failures(days, range),
        methods: method_split(days, range),
        total_events: in_range(days, range).map(|c| c.events).sum(),
    }
}

/// Sign-in attempts per hour of the range, stacked by outcome.
pub fn hourly_outcomes(days: &[DayCounts], range: DayRange) -> BarChart {
    let series = count_outcomes(days, range, true);
    let (start, _) = range.bounds_ms();
    let labels = (0..series[0].values.len())
        .map(|i| {
            let t = super::keys::sort_time(start + i as i64 * MS_PER_HOUR);
            format!("{} {}:00", &t[5..10], &t[11..13])
        })
        .collect();
    BarChart {
        title: "Sign-in attempts per hour, by outcome".into(),
        labels,
        label_every: 24,
        series: series.to_vec(),
        stacked: true,
    }
}

/// Failed sign-ins (wrong password or code) and refusals during a lock, per day.
pub fn daily_failures(days: &[DayCounts], range: DayRange) -> BarChart {
    let [_, failed, locked] = count_outcomes(days, range, false);
    let labels = day_labels(range);
    BarChart {
        title: "Failures and lockouts per day".into(),
        label_every: if labels.len() > 14 { 7 } else { 1 },
        labels,
        series: vec![failed, locked],
        stacked: false,
    }
}

/// One user's sign-ins per day over `range`, by outcome (the dashboard's chart).
pub fn daily_sign_ins(days: &[DayCounts], range: DayRange) -> BarChart {
    BarChart {
        title: "Your sign-in attempts per day".into(),
        labels: day_labels(range),
        label_every: 2,
        series: count_outcomes(days, range, false).to_vec(),
        stacked: true,
    }
}

/// A person's activity as shown (`rows` newest first, at most `keep`; `chart` from
/// [`daily_sign_ins`] over `range`) once `event` is in it too: what the store will say once
/// the event is written, for a page drawn before then.
pub fn with_event(
    rows: &mut Vec<EventRow>,
    chart: &mut BarChart,
    event: &AuthEvent,
    range: DayRange,
    keep: usize,
) {
    rows.insert(0, row(event));
    rows.truncate(keep);
    let more = daily_sign_ins(&super::counts::days_of(std::slice::from_ref(event)), range);
    for (mine, theirs) in chart.series.iter_mut().zip(more.series) {
        for (a, b) in mine.values.iter_mut().zip(theirs.values) {
            *a += b;
        }
    }
}

/// Successful sign-ins in `range` by method, every method listed (zero included).
pub fn method_split(days: &[DayCounts], range: DayRange) -> Vec<(String, u32)> {
    METHODS
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let n = in_range(days, range).map(|c| c.methods[i]).sum();
            (m.label().to_string(), n)
        })
        .collect()
}

/// What a reports export shows to analysts: when, what and how — the dimensions of the
/// charts — without who, from where or with what browser (that is the admins' audit log).
pub fn csv_anonymous(events: &[AuthEvent]) -> String {
    let mut out = String::new();
    csv_line(&mut out, &["time_utc", "event", "method"].map(String::from));
    for e in events {
        let cells = [
            super::keys::sort_time(e.at_ms),
            e.kind.as_str().to_string(),
            e.method.map(|m| m.as_str().to_string()).unwrap_or_default(),
        ];
        csv_line(&mut out, &cells);
    }
    out
}

/// The events as CSV (RFC 4180), one row each, in the order given. Every cell is quoted and
/// defused ([`csv_cell`]): e-mails and user agents are typed by strangers.
pub fn csv(events: &[AuthEvent]) -> String {
    let mut out = String::new();
    let header = [
        "time_utc",
        "event",
        "user",
        "method",
        "client_network",
        "user_agent",
        "actor",
        "detail",
    ];
    csv_line(&mut out, &header.map(String::from));
    for e in events {
        let cells = [
            super::keys::sort_time(e.at_ms),
            e.kind.as_str().to_string(),
            e.user.clone(),
            e.method.map(|m| m.as_str().to_string()).unwrap_or_default(),
            e.ip.clone().unwrap_or_default(),
            e.user_agent.clone().unwrap_or_default(),
            e.actor.clone().unwrap_or_default(),
            e.detail.clone().unwrap_or_default(),
        ];
        csv_line(&mut out, &cells);
    }
    out
}

/// One CSV cell: always quoted (RFC 4180, `"` doubled), and defused wherever a spreadsheet
/// could start a formula — at the start of the cell and after every character some
/// spreadsheet treats as a separator (`,` `;` tab CR LF) — by a `'` before `=` `+` `-` `@`
/// (and before a tab or CR that would start a field).
fn csv_cell(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    let mut field_start = true;
    for c in value.chars() {
        if field_start && matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r') {
            out.push('\'');
        }
        if c == '"' {
            out.push('"');
        }
        out.push(c);
        field_start = matches!(c, ',' | ';' | '\t' | '\r' | '\n');
    }
    out.push('"');
    out
}

/// A CSV line of `cells`, ended by CRLF.
fn csv_line(out: &mut String, cells: &[String]) {
    let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

/// The audit log's filters, checked: (range, range message, user, kind). One reading for the
/// audit page and its CSV export.
pub fn audit_filters(
    now: i64,
    user: Option<&str>,
    kind: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> (DayRange, Option<String>, String, Option<EventKind>) {
    let (range, error) = parse_range(from, to, today(now), DEFAULT_RANGE_DAYS);
    let user = gatehouse_lockout::normalize_username(user.unwrap_or_default());
    let kind = kind.and_then(EventKind::parse);
    (range, error, user, kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::counts::days_of;
    use crate::events::{Method, RequestMeta};

    fn day(s: &str) -> Date {
        parse_day(s).unwrap()
    }

    fn ev(kind: EventKind, at_ms: i64) -> AuthEvent {
        AuthEvent::new(kind, "a@example.com", at_ms, &RequestMeta::default())
    }

    #[test]
    fn ranges_default_validate_and_cap() {
        let today = day("2026-11-25");
        let (r, e) = parse_range(None, None, today, DEFAULT_RANGE_DAYS);
        assert_eq!((r.from, r.to, e), (day("2026-11-19"), today, None));
        let (r, e) = parse_range(
            Some("2026-11-01"),
            Some("2026-11-10"),
            today,
            DEFAULT_RANGE_DAYS,
        );
        assert_eq!(
            (format_day(r.from), r.days(), e),
            ("2026-11-01".into(), 10, None)
        );
        let (r, e) = parse_range(
            Some("2026-11-10"),
            Some("2026-11-01"),
            today,
            DEFAULT_RANGE_DAYS,
        );
        assert_eq!(r, DayRange::last(7, today));
        assert!(e.unwrap().contains("must not be after"));
        let (_, e) = parse_range(
            Some("2026-01-01"),
            Some("2026-11-01"),
            today,
            DEFAULT_RANGE_DAYS,
        );
        assert!(e.unwrap().contains("31 days"));
        let (_, e) = parse_range(Some("yesterday"), None, today, DEFAULT_RANGE_DAYS);
        assert!(e.unwrap().contains("start date"));
        let (_, e) = parse_range(None, Some("2026-02-30"), today, DEFAULT_RANGE_DAYS);
        assert!(e.unwrap().contains("end date"));
    }

    #[test]
    fn hourly_chart_buckets_by_outcome_and_ignores_other_events() {
        let range = DayRange {
            from: day("2026-11-25"),
            to: day("2026-11-25"),
        };
        let (start, end) = range.bounds_ms();
        let events = vec![
            ev(EventKind::SignIn, start + 10),
            ev(EventKind::SignInFailed, start + 20),
            ev(EventKind::MfaFailed, start + MS_PER_HOUR + 5),
            ev(EventKind::SignInLocked, end - 1),
            ev(EventKind::SignOut, start + 30),
            ev(EventKind::SignIn, end), // outside
        ];
        let chart = hourly_outcomes(&days_of(&events), range);
        assert_eq!(chart.labels.len(), 24);
        assert_eq!(chart.labels[1], "11-25 01:00");
        assert_eq!(chart.series[0].values[0], 1);
        assert_eq!(chart.series[1].values[0], 1);
        assert_eq!(chart.series[1].values[1], 1);
        assert_eq!(chart.series[2].values[23], 1);
        assert_eq!(chart.total(), 4);
        assert_eq!(chart.max(), 2);
    }

    #[test]
    fn an_activity_with_one_more_event_is_what_the_store_would_give_with_it() {
        let range = DayRange::last(3, day("2026-11-25"));
        let (start, end) = range.bounds_ms();
        let older: Vec<AuthEvent> = (0..3)
            .map(|n| ev(EventKind::SignInFailed, start + n * MS_PER_HOUR))
            .collect();
        let newer: Vec<AuthEvent> = [
            ev(EventKind::SignIn, end - 10).method(Method::Password),
            ev(EventKind::SignOut, end - 5),
            ev(EventKind::SignIn, end + 10), // after the range: a row, not a bar
        ]
        .into();
        // Newest first, as the store answers.
        let mut all: Vec<AuthEvent> = older.iter().rev().cloned().collect();
        for e in &newer {
            all.insert(0, e.clone());
        }
        let mut rows: Vec<EventRow> = older.iter().rev().map(row).collect();
        let mut chart = daily_sign_ins(&days_of(&older), range);
        for e in &newer {
            with_event(&mut rows, &mut chart, e, range, 4);
        }
        assert_eq!(chart, daily_sign_ins(&days_of(&all), range));
        assert_eq!(chart.total(), 4);
        assert_eq!(rows, all.iter().take(4).map(row).collect::<Vec<_>>());
    }

    #[test]
    fn daily_failures_and_method_split() {
        let range = DayRange {
            from: day("2026-11-24"),
            to: day("2026-11-25"),
        };
        let (start, _) = range.bounds_ms();
        let mut google = ev(EventKind::SignIn, start);
        google.method = Some(Method::Google);
        let events = vec![
            ev(EventKind::SignInFailed, start + 1),
            ev(EventKind::SignInLocked, start + MS_PER_DAY + 1),
            ev(EventKind::SignInLocked, start + MS_PER_DAY + 2),
            google,
            ev(EventKind::SignIn, start).method(Method::Password),
            ev(EventKind::SignIn, start + 5).method(Method::Password),
        ];
        let chart = daily_failures(&days_of(&events), range);
        assert_eq!(chart.labels, vec!["11-24", "11-25"]);
        assert_eq!(chart.series[0].values, vec![1, 0]);
        assert_eq!(chart.series[1].values, vec![0, 2]);
        assert_eq!(
            method_split(&days_of(&events), range),
            vec![
                ("Email and password".to_string(), 2),
                ("Hosted sign-in page".to_string(), 0),
                ("Google".to_string(), 1)
            ]
        );
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let mut e = ev(EventKind::SignInFailed, 1_764_072_000_000);
        e.user_agent = Some("Mozilla \"quoted\", with comma".into());
        e.user = "=cmd@example.com".into();
        let text = csv(&[e]);
        let mut lines = text.split("\r\n");
        assert_eq!(
            lines.next().unwrap(),
            "\"time_utc\",\"event\",\"user\",\"method\",\"client_network\",\"user_agent\",\"actor\",\"detail\""
        );
        assert_eq!(
            lines.next().unwrap(),
            "\"2025-11-25T12:00:00.000Z\",\"sign_in_failed\",\"'=cmd@example.com\",\"\",\"\",\"Mozilla \"\"quoted\"\", with comma\",\"\",\"\""
        );
    }

    #[test]
    fn csv_defuses_formulas_after_every_separator() {
        // What a spreadsheet with `;` (or tab, or a line break) as its list separator would
        // split into cells of their own: each piece that starts a formula gets its `'`.
        for (hostile, safe) in [
            (
                "x;=HYPERLINK(\"http://evil\")",
                "x;'=HYPERLINK(\"\"http://evil\"\")",
            ),
            ("a,+1", "a,'+1"),
            ("a\t-2+3", "a\t'-2+3"),
            ("a\r\n@SUM(A1)", "a\r\n'@SUM(A1)"),
            ("a;\t=1", "a;'\t'=1"),
            ("plain@example.com", "plain@example.com"),
        ] {
            assert_eq!(csv_cell(hostile), format!("\"{safe}\""), "{hostile:?}");
        }
        let mut e = ev(EventKind::SignIn, 1_764_072_000_000);
        e.user = "x;=HYPERLINK(\"http://evil\")@example.com".into();
        e.user_agent = Some("UA;@SUM(1)".into());
        let text = csv(&[e.clone()]);
        assert!(
            text.contains("\"x;'=HYPERLINK(\"\"http://evil\"\")@example.com\""),
            "{text}"
        );
        assert!(text.contains("\"UA;'@SUM(1)\""), "{text}");
        let anonymous = csv_anonymous(&[e]);
        assert!(
            anonymous.starts_with("\"time_utc\",\"event\",\"method\"\r\n"),
            "{anonymous}"
        );
    }
}
