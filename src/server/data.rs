//! Bodies of the data pages' server functions: `/dashboard`, `/reports`, the admin user
//! directory and its actions, and the audit log. Each checks the caller's groups itself; the
//! admin actions also check CSRF and are recorded as events with the acting admin.

use super::actions::{require, user_view};
use super::audit;
use super::render::{app_state, csrf_valid, finish_form, set_status};
use crate::access::Area;
use crate::auth::directory::{DirectoryError, MANAGED_GROUPS};
use crate::auth::session::AuthSession;
use crate::events::report::{self, DayRange};
use crate::events::store::{Order, Ranged};
use crate::events::EventKind;
use crate::model::{forms, AdminData, ApiError, AuditData, DashboardData, FormState, ReportsData};
use crate::server::error::AppError;

const FORM_EXPIRED: &str = "This form has expired. Please reload the page and try again.";
/// Rows the audit page shows (the CSV export has every matching event).
pub const AUDIT_PAGE_ROWS: usize = 200;
const EVENTS_UNAVAILABLE: &str =
    "Activity data is temporarily unavailable. Please try again in a moment.";

/// The account name events are stored under for this user.
pub fn event_user(auth: &AuthSession) -> String {
    if auth.email.is_empty() {
        auth.username.clone()
    } else {
        auth.email.clone()
    }
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "{what} unavailable");
    set_status(503);
    ApiError::Unavailable
}

pub async fn dashboard_data() -> Result<DashboardData, ApiError> {
    let user = require(Area::Dashboard).await?;
    let state = app_state()?;
    let name = crate::auth::signin::normalize_username(&event_user(&user));
    let today = report::today((state.svc.clock)());
    let range = DayRange::last(14, today);
    let (from, to) = range.bounds_ms();
    let store = &state.svc.event_store;
    let cache_key = format!("{name}|{}", report::format_day(today));
    let activity = match state.svc.activity.get(&cache_key) {
        Some(hit) => Ok(hit),
        None => {
            let (recent, window) = tokio::join!(
                store.for_user(&name, 10),
                store.for_user_in_range(&name, from, to, None)
            );
            recent
                .and_then(|r| window.map(|w| (r, w)))
                .map(|(recent, window)| {
                    // Only what the page shows is kept: ten rows and the chart's counts.
                    (
                        recent.iter().map(report::row).collect::<Vec<_>>(),
                        report::daily_sign_ins(&window.events, range),
                    )
                })
                .inspect(|a| state.svc.activity.insert(cache_key.clone(), a.clone()))
        }
    };
    let mut data = DashboardData {
        user: user_view(&user),
        ..Default::default()
    };
    match activity {
        Ok((recent, chart)) => {
            data.recent = recent;
            data.chart = chart;
        }
        Err(e) => {
            // The account summary still shows; the activity says why it is missing.
            tracing::error!(error = %e, "dashboard activity unavailable");
            data.activity_error = Some(EVENTS_UNAVAILABLE.into());
            data.chart = report::daily_sign_ins(&[], range);
        }
    }
    Ok(data)
}

pub async fn reports_data(
    from: Option<String>,
    to: Option<String>,
) -> Result<ReportsData, ApiError> {
    require(Area::Reports).await?;
    let state = app_state()?;
    let today = report::today((state.svc.clock)());
    let (range, range_error) = report::parse_range(from.as_deref(), to.as_deref(), today);
    let (start, end) = range.bounds_ms();
    let read = state
        .svc
        .event_store
        .in_range(start, end, Order::OldestFirst, None)
        .await
        .map_err(|e| unavailable("reports", e))?;
    let events = read.events;
    Ok(ReportsData {
        from: report::format_day(range.from),
        to: report::format_day(range.to),
        range_error,
        hourly: report::hourly_outcomes(&events, range),
        daily: report::daily_failures(&events, range),
        methods: report::method_split(&events),
        total_events: events.len() as u32,
        truncated: read.capped,
    })
}

pub async fn admin_data(
    filter: Option<String>,
    page: Option<String>,
) -> Result<AdminData, ApiError> {
    let admin = require(Area::Admin).await?;
    let state = app_state()?;
    let filter = filter.unwrap_or_default().trim().to_lowercase();
    let mut data = AdminData {
        viewer: admin.email.clone(),
        filter: filter.clone(),
        groups: MANAGED_GROUPS.iter().map(|g| g.to_string()).collect(),
        ..Default::default()
    };
    match state.svc.directory.list(&filter, page).await {
        Ok((users, next)) => {
            data.users = users;
            data.next_page = next;
        }
        Err(DirectoryError::BadFilter)
        | Err(DirectoryError::Cognito(crate::auth::cognito::CognitoError::InvalidParameter(_))) => {
            data.filter_error = Some(
                "Search by the start of an email address (at most 200 characters, without quotes or backslashes).".into(),
            );
        }
        Err(e) => return Err(unavailable("user directory", e)),
    }
    Ok(data)
}

/// One admin action on a user: `add`/`remove` (a group), `enable`/`disable`.
pub async fn manage_user(
    username: String,
    op: String,
    group: Option<String>,
    csrf: String,
) -> Result<FormState, ApiError> {
    match op.as_str() {
        "add" | "remove" => change_group(username, group.unwrap_or_default(), op, csrf).await,
        "enable" => set_user_enabled(username, "true".into(), csrf).await,
        "disable" => set_user_enabled(username, "false".into(), csrf).await,
        _ => {
            require(Area::Admin).await?;
            finish_form(
                FormState::new(forms::DIRECTORY).with_error("Choose an action.", 422),
                "/admin",
            )
        }
    }
}

/// Adds a user to, or removes them from, a managed group.
async fn change_group(
    username: String,
    group: String,
    action: String,
    csrf: String,
) -> Result<FormState, ApiError> {
    let admin = require(Area::Admin).await?;
    let state = app_state()?;
    let form = FormState::new(forms::DIRECTORY);
    if !csrf_valid(&state, &csrf) {
        tracing::warn!(admin = %admin.email, "group change refused: CSRF token missing or wrong");
        return finish_form(form.with_error(FORM_EXPIRED, 403), "/admin");
    }
    let add = match action.as_str() {
        "add" => true,
        "remove" => false,
        _ => return finish_form(form.with_error("Choose to add or remove.", 422), "/admin"),
    };
    if !MANAGED_GROUPS.contains(&group.as_str()) {
        return finish_form(
            form.with_error("Choose one of the listed groups.", 422),
            "/admin",
        );
    }
    let directory = &state.svc.directory;
    let email = match directory.email_of(&username).await {
        Ok(email) => email,
        Err(e) => return finish_form(directory_failure(form, e), "/admin"),
    };
    if !add && group == crate::access::ADMINS && is_self(&admin, &username, &email) {
        return finish_form(
            form.with_error("You cannot remove yourself from the admins group.", 422),
            "/admin",
        );
    }
    let result = if add {
        directory.add_to_group(&username, &group).await
    } else {
        directory.remove_from_group(&username, &group).await
    };
    if let Err(e) = result {
        return finish_form(directory_failure(form, e), "/admin");
    }
    // The user's sessions re-read their groups at their next check (≤ 1 minute).
    let now = (state.svc.clock)();
    let keep = state.svc.config.session_absolute_timeout;
    let marked = state
        .svc
        .sessions
        .mark_groups_changed(&email, now, keep)
        .await;
    let kind = if add {
        EventKind::GroupAdded
    } else {
        EventKind::GroupRemoved
    };
    audit::note(&state, kind, &email, |e| {
        e.actor(&admin.email).detail(&group)
    });
    tracing::warn!(admin = %admin.email, user = %crate::auth::signin::log_name(&email), group, add, "group membership changed by an admin");
    let notice = if add {
        format!("Added {email} to {group}.")
    } else {
        format!("Removed {email} from {group}.")
    };
    let form = match marked {
        Ok(()) => form.with_notice(notice),
        Err(e) => {
            AppError::from(e).log();
            form.with_notice(format!(
                "{notice} Their open sessions will see the change within {} minutes.",
                (state.svc.config.groups_max_age.as_secs() + 59) / 60
            ))
        }
    };
    finish_form(form, "/admin")
}

/// Disables or enables a user. Disabling also ends their gatehouse sessions (≤ 1 minute).
async fn set_user_enabled(
    username: String,
    enabled: String,
    csrf: String,
) -> Result<FormState, ApiError> {
    let admin = require(Area::Admin).await?;
    let state = app_state()?;
    let form = FormState::new(forms::DIRECTORY);
    if !csrf_valid(&state, &csrf) {
        tracing::warn!(admin = %admin.email, "enable/disable refused: CSRF token missing or wrong");
        return finish_form(form.with_error(FORM_EXPIRED, 403), "/admin");
    }
    let enable = match enabled.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            return finish_form(
                form.with_error("Choose to enable or disable.", 422),
                "/admin",
            )
        }
    };
    let directory = &state.svc.directory;
    let email = match directory.email_of(&username).await {
        Ok(email) => email,
        Err(e) => return finish_form(directory_failure(form, e), "/admin"),
    };
    if !enable && is_self(&admin, &username, &email) {
        return finish_form(
            form.with_error("You cannot disable your own account.", 422),
            "/admin",
        );
    }
    if let Err(e) = directory.set_enabled(&username, enable).await {
        return finish_form(directory_failure(form, e), "/admin");
    }
    let mut signed_out = true;
    if !enable {
        let now = (state.svc.clock)();
        let keep = state.svc.config.session_absolute_timeout;
        if let Err(e) = state
            .svc
            .sessions
            .mark_disabled(&email, now + 1, keep)
            .await
        {
            AppError::from(e).log();
            signed_out = false;
        }
    }

    let kind = if enable {
        EventKind::UserEnabled
    } else {
        EventKind::UserDisabled
    };
    audit::note(&state, kind, &email, |e| e.actor(&admin.email));
    tracing::warn!(admin = %admin.email, user = %crate::auth::signin::log_name(&email), enable, "account enabled/disabled by an admin");
    let notice = match (enable, signed_out) {
        (true, _) => format!("Enabled {email}."),
        (false, true) => format!("Disabled {email}. Their sessions end within a minute."),
        (false, false) => format!(
            "Disabled {email}. Their open sessions could not be ended just now; they end when their tokens are next refreshed."
        ),
    };
    finish_form(form.with_notice(notice), "/admin")
}

fn is_self(admin: &AuthSession, username: &str, email: &str) -> bool {
    admin.username == username || admin.email.eq_ignore_ascii_case(email)
}

fn directory_failure(form: FormState, e: DirectoryError) -> FormState {
    match e {
        DirectoryError::NotFound => form.with_error("That user no longer exists.", 404),
        other => {
            tracing::error!(error = %other, "user directory action failed");
            form.with_error(
                "The user directory is temporarily unavailable. Nothing was changed; please try again.",
                503,
            )
        }
    }
}

/// The audit log's filters, checked: (range, range message, user, kind).
pub fn audit_filters(
    now: i64,
    user: Option<&str>,
    kind: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> (DayRange, Option<String>, String, Option<EventKind>) {
    let (range, error) = report::parse_range(from, to, report::today(now));
    let user = crate::auth::signin::normalize_username(user.unwrap_or_default());
    let kind = kind.and_then(EventKind::parse);
    (range, error, user, kind)
}

/// Events matching the audit filters, newest first (the kind filtered by DynamoDB, so that
/// the cap keeps the newest matching events, never older ones or other kinds).
pub async fn audit_events(
    state: &super::AppState,
    range: DayRange,
    user: &str,
    kind: Option<EventKind>,
) -> Result<Ranged, crate::events::store::EventStoreError> {
    let (start, end) = range.bounds_ms();
    let store = &state.svc.event_store;
    if user.is_empty() {
        store.in_range(start, end, Order::NewestFirst, kind).await
    } else {
        store.for_user_in_range(user, start, end, kind).await
    }
}

pub async fn audit_data(
    user: Option<String>,
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<AuditData, ApiError> {
    require(Area::Admin).await?;
    let state = app_state()?;
    let (range, range_error, user, kind_filter) = audit_filters(
        (state.svc.clock)(),
        user.as_deref(),
        kind.as_deref(),
        from.as_deref(),
        to.as_deref(),
    );
    let read = audit_events(&state, range, &user, kind_filter)
        .await
        .map_err(|e| unavailable("audit log", e))?;
    let events = read.events;
    Ok(AuditData {
        from: report::format_day(range.from),
        to: report::format_day(range.to),
        user,
        kind: kind_filter
            .map(|k| k.as_str().to_string())
            .unwrap_or_default(),
        range_error,
        kinds: EventKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), k.label().to_string()))
            .collect(),
        truncated: events.len() > AUDIT_PAGE_ROWS,
        capped: read.capped,
        rows: events
            .iter()
            .take(AUDIT_PAGE_ROWS)
            .map(report::row)
            .collect(),
    })
}
