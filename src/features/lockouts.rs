//! `/admin/lockouts` (group `admins`): the account names locked now, soonest unlock first,
//! 50 a page, each with an Unlock button (a CSRF-protected POST, checked again on the server).

use crate::access::Area;
use crate::model::{ApiError, FormState};
use crate::support::urlencode;
use crate::ui::shown::{shown_forms, Shown};
use crate::ui::{use_session, ActionOutcome, Gate, SubmitButton, TableWrap};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// One locked account name on `/admin/lockouts`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LockoutRow {
    pub username: String,
    /// Attempts counted in the window that locked it.
    pub attempts: u32,
    /// e.g. "08:46 UTC (in 14 min)".
    pub unlocks_at: String,
}

/// Data of `/admin/lockouts`: the names locked now, a page at a time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LockoutsData {
    pub rows: Vec<LockoutRow>,
    /// The policy in words, e.g. "5 sign-in attempts within 15 minutes lock an account for 15 minutes."
    pub policy: String,
    /// Where the next page starts, when there is one.
    pub next_page: Option<String>,
}

pub const FORM: &str = "unlock";
/// Locked names per page of `/admin/lockouts`.
pub const LOCKOUTS_PAGE: i32 = 50;

/// The names locked now, a page at a time: one query on the lockout table's sparse index
/// (names that were only counted, however many, are never read).
#[server(endpoint = "list_lockouts")]
pub async fn list_lockouts(page: Option<String>) -> Result<LockoutsData, ApiError> {
    use self::ssr::*;
    require(Area::Admin).await?;
    let state = app_state()?;
    let store = state.svc.sign_in.lockout();
    let locked = store
        .locked(page.as_deref().filter(|p| !p.is_empty()), LOCKOUTS_PAGE)
        .await
        .map_err(|e| unavailable("lockout list", e))?;
    let now = store.now();
    let rows = locked
        .entries
        .into_iter()
        .map(|e| LockoutRow {
            username: e.username,
            attempts: e.attempts,
            unlocks_at: format!(
                "{} (in {} min)",
                format_time(e.locked_until),
                minutes_until(e.locked_until, now)
            ),
        })
        .collect();
    let policy = store.policy();
    Ok(LockoutsData {
        rows,
        policy: format!(
            "{} sign-in attempts within {} lock an account for {}; a success clears the count.",
            policy.max_attempts,
            minutes(policy.window.as_secs()),
            minutes(policy.lock_duration.as_secs())
        ),
        next_page: locked.next,
    })
}

/// Clears an account name's failures and lock (group `admins`, CSRF-checked, logged).
#[server(endpoint = "unlock_account")]
pub async fn unlock_account(username: String, csrf: String) -> Result<FormState, ApiError> {
    use self::ssr::*;
    let admin = require(Area::Admin).await?;
    FormPost::new(FORM, "/admin/lockouts", &csrf)
        .answer(move |FormCx { app: state, form }| async move {
            if let Some(to) = step_up_needed(&state, &admin, "/admin/lockouts") {
                return Ok(Answer::Redirect(to));
            }
            let username = normalize_username(&username);
            if username.is_empty() {
                return Ok(Answer::Form(
                    form.with_error("Choose an account to unlock.", 422),
                ));
            }
            Ok(Answer::Form(
                match state.svc.sign_in.lockout().clear(&username).await {
                    Ok(()) => {
                        tracing::warn!(
                            admin = %admin.email,
                            admin_sub = %admin.sub,
                            user = %log_name(&username),
                            "account unlocked by an admin"
                        );
                        record::note(&state, EventKind::Unlocked, &username, |e| {
                            e.actor(&admin.email)
                        });
                        form.with_notice(format!("Unlocked {username}."))
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "unlock failed");
                        form.with_error(
                            "The lockout table is unavailable right now. Please try again.",
                            503,
                        )
                    }
                },
            ))
        })
        .await
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::access::Area;
    pub use crate::auth::lockout::minutes_until;
    pub use crate::auth::signin::{log_name, normalize_username};
    pub use crate::events::EventKind;
    pub use crate::server::record;
    pub use crate::server::request::{
        app_state, require, step_up_needed, unavailable, Answer, FormCx, FormPost,
    };

    pub fn minutes(secs: u64) -> String {
        match secs {
            60 => "1 minute".into(),
            s if s % 60 == 0 => format!("{} minutes", s / 60),
            s => format!("{s} seconds"),
        }
    }

    /// "08:31:05 UTC".
    pub fn format_time(epoch: i64) -> String {
        match time::OffsetDateTime::from_unix_timestamp(epoch) {
            Ok(t) => format!("{:02}:{:02}:{:02} UTC", t.hour(), t.minute(), t.second()),
            Err(_) => "unknown".into(),
        }
    }
}

/// The page's own fields (`rows` left empty) and the locked names (shown once: in the page's
/// HTML, see [`shown_forms`]).
type LockoutsResource = Resource<Result<(LockoutsData, Shown<Vec<LockoutRow>>), ApiError>>;

#[component]
pub fn LockoutsPage() -> impl IntoView {
    let unlock = ServerAction::<UnlockAccount>::new();
    let query = use_query_map();
    // Made once for the page, not in the gate's view (see the dashboard).
    // Re-read after every unlock.
    let data: LockoutsResource = Resource::new_blocking(
        move || (unlock.version().get(), query.with(|q| q.get("page"))),
        |(_, page)| async move {
            list_lockouts(page).await.map(|mut d| {
                let rows = std::mem::take(&mut d.rows);
                (d, rows.into())
            })
        },
    );
    view! {
        <Title text="Lockouts"/>
        <Gate area=Area::Admin children=move |_user| view! { <Lockouts unlock data/> }/>
    }
}

#[component]
fn Lockouts(unlock: ServerAction<UnlockAccount>, data: LockoutsResource) -> impl IntoView {
    let info = use_session();
    view! {
        <section class="card">
            <p class="breadcrumb"><a href="/admin">"Admin"</a> " / Lockouts"</p>
            <h1>"Locked accounts"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let csrf = info.get_untracked().and_then(Result::ok).unwrap_or_default().csrf;
                    data.get().map(|result| match result {
                        Err(e) => view! { <div class="alert" role="alert">{e.to_string()}</div> }.into_any(),
                        Ok((d, rows)) => {
                            let next = d.next_page.clone().map(|token| {
                                format!("/admin/lockouts?page={}", urlencode(&token))
                            });
                            view! {
                                <p class="muted">{d.policy}</p>
                                <ActionOutcome value=unlock.value() form=FORM/>
                                {shown_forms(rows, unlock, move |rows| view! { <LockoutTable rows unlock csrf/> })}
                                {next.map(|href| view! { <p><a href=href data-testid="next-page">"Next page"</a></p> })}
                            }.into_any()
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn LockoutTable(
    rows: Vec<LockoutRow>,
    unlock: ServerAction<UnlockAccount>,
    csrf: String,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p data-testid="no-lockouts">"No account is locked."</p> }.into_any();
    }
    view! {
        <TableWrap label="Locked accounts">
            <table class="data">
                <caption class="visually-hidden">"Locked accounts"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Account"</th>
                        <th scope="col">"Attempts"</th>
                        <th scope="col">"Unlocks at"</th>
                        <th scope="col"><span class="visually-hidden">"Action"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|row| {
                        let csrf = csrf.clone();
                        let label = format!("Unlock {}", row.username);
                        let name = row.username.clone();
                        let shown = row.username.clone();
                        let this = row.username.clone();
                        let pending = Signal::derive(move || {
                            unlock.input().with(|i| i.as_ref().is_some_and(|i| i.username == this))
                        });
                        view! {
                            <tr data-testid="lockout-row" data-username=name>
                                <th scope="row">{shown}</th>
                                <td>{row.attempts}</td>
                                <td>{row.unlocks_at}</td>
                                <td>
                                    <ActionForm action=unlock attr:class="inline">
                                        <input type="hidden" name="csrf" value=csrf/>
                                        <input type="hidden" name="username" value=row.username/>
                                        <SubmitButton label="Unlock" busy="Unlocking…" pending class="button small" aria_label=label/>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </TableWrap>
    }.into_any()
}
