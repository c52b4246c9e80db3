//! `/admin` (group `admins`): the user directory from Cognito (`ListUsers`, filtered by email
//! prefix, paginated) with each user's status, MFA and groups, and the admin actions (group
//! membership, enable/disable) as CSRF-protected POSTs that the server checks again.

use crate::access::Area;
use crate::model::{ApiError, DirectoryUser, FormState, UserView};
use crate::support::urlencode;
use crate::ui::shown::{shown_forms, Shown};
use crate::ui::{use_session, ActionOutcome, Gate, SubmitButton, TableWrap};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// `/admin`: the user directory (one page of it).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AdminData {
    pub users: Vec<DirectoryUser>,
    /// The email prefix filtered on.
    pub filter: String,
    /// The token of the next page, if there is one.
    pub next_page: Option<String>,
    /// The groups an admin can add users to.
    pub groups: Vec<String>,
    /// Why the filter could not be used, shown next to it.
    pub filter_error: Option<String>,
}

pub const FORM: &str = "directory";

/// `/admin` (group `admins`): one page of the user directory, filtered by email prefix.
#[server(endpoint = "admin_data")]
pub async fn load_admin(
    filter: Option<String>,
    page: Option<String>,
) -> Result<AdminData, ApiError> {
    use self::ssr::*;
    require(Area::Admin).await?;
    let state = app_state()?;
    let filter = filter.unwrap_or_default().trim().to_lowercase();
    let mut data = AdminData {
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
        | Err(DirectoryError::Cognito(CognitoError::InvalidParameter(_))) => {
            data.filter_error = Some(
                "Search by the start of an email address (at most 200 characters, without quotes or backslashes).".into(),
            );
        }
        Err(e) => return Err(unavailable("user directory", e)),
    }
    Ok(data)
}

/// An admin action on a user (admins, CSRF-checked, recorded): `op` is `add` or `remove`
/// (with `group`), or `enable` / `disable`.
#[server(endpoint = "manage_user")]
pub async fn manage_user(
    username: String,
    op: String,
    group: Option<String>,
    csrf: String,
) -> Result<FormState, ApiError> {
    use self::ssr::*;
    let admin = require(Area::Admin).await?;
    FormPost::new(FORM, "/admin", &csrf)
        .answer(move |FormCx { app: state, form }| async move {
            if let Some(to) = step_up_needed(&state, &admin, "/admin") {
                return Ok(Answer::Redirect(to));
            }
            let group = group.unwrap_or_default();
            Ok(Answer::Form(match op.as_str() {
                "add" => change_group(&state, form, &admin, &username, &group, true).await,
                "remove" => change_group(&state, form, &admin, &username, &group, false).await,
                "enable" => set_user_enabled(&state, form, &admin, &username, true).await,
                "disable" => set_user_enabled(&state, form, &admin, &username, false).await,
                _ => form.with_error("Choose an action.", 422),
            }))
        })
        .await
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::access::Area;
    use crate::access::ADMINS;
    pub use crate::auth::cognito::CognitoError;
    pub use crate::auth::directory::{DirectoryError, MANAGED_GROUPS};
    use crate::auth::identity::AuthSession;
    pub use crate::auth::session::store::marker_retention;
    use crate::auth::signin::log_name;
    use crate::events::EventKind;
    use crate::model::FormState;
    use crate::server::error::AppError;
    use crate::server::record;
    pub use crate::server::request::{
        app_state, require, step_up_needed, unavailable, Answer, FormCx, FormPost,
    };
    use crate::server::state::AppState;

    /// Adds a user to, or removes them from, a managed group.
    pub async fn change_group(
        state: &AppState,
        form: FormState,
        admin: &AuthSession,
        username: &str,
        group: &str,
        add: bool,
    ) -> FormState {
        if !MANAGED_GROUPS.contains(&group) {
            return form.with_error("Choose one of the listed groups.", 422);
        }
        let directory = &state.svc.directory;
        let (sub, email) = match directory.who(username).await {
            Ok(person) => (person.sub, person.email),
            Err(e) => return directory_failure(form, e),
        };
        if !add && group == ADMINS && is_self(admin, username, &sub) {
            return form.with_error("You cannot remove yourself from the admins group.", 422);
        }
        let result = if add {
            directory.add_to_group(username, group).await
        } else {
            directory.remove_from_group(username, group).await
        };
        if let Err(e) = result {
            return directory_failure(form, e);
        }
        // The user's sessions re-read their groups at their next check (≤ 1 minute).
        let now = (state.svc.clock)();
        let keep = marker_retention(state.svc.config.session_absolute_timeout);
        let marked = state
            .svc
            .sessions
            .mark_groups_changed(&sub, now, keep)
            .await;
        let kind = if add {
            EventKind::GroupAdded
        } else {
            EventKind::GroupRemoved
        };
        record::note(state, kind, &email, |e| {
            e.of_account(&sub).actor(&admin.email).detail(group)
        });
        tracing::warn!(admin = %admin.email, user = %log_name(&email), group, add, "group membership changed by an admin");
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
                    state.svc.config.groups_max_age.as_secs().div_ceil(60)
                ))
            }
        };
        form
    }

    /// Disables or enables a user. Disabling also ends their gatehouse sessions (≤ 1 minute).
    pub async fn set_user_enabled(
        state: &AppState,
        form: FormState,
        admin: &AuthSession,
        username: &str,
        enable: bool,
    ) -> FormState {
        let directory = &state.svc.directory;
        let (sub, email) = match directory.who(username).await {
            Ok(person) => (person.sub, person.email),
            Err(e) => return directory_failure(form, e),
        };
        if !enable && is_self(admin, username, &sub) {
            return form.with_error("You cannot disable your own account.", 422);
        }
        if let Err(e) = directory.set_enabled(username, enable).await {
            return directory_failure(form, e);
        }
        let mut signed_out = true;
        if !enable {
            let keep = marker_retention(state.svc.config.session_absolute_timeout);
            // Every sign-in before this moment ends (those of this very second included).
            let at_ms = crate::support::clock::wall_ms();
            if let Err(e) = state.svc.sessions.mark_disabled(&sub, at_ms, keep).await {
                AppError::from(e).log();
                signed_out = false;
            }
        }

        let kind = if enable {
            EventKind::UserEnabled
        } else {
            EventKind::UserDisabled
        };
        record::note(state, kind, &email, |e| {
            e.of_account(&sub).actor(&admin.email)
        });
        tracing::warn!(admin = %admin.email, user = %log_name(&email), enable, "account enabled/disabled by an admin");
        let notice = match (enable, signed_out) {
            (true, _) => format!("Enabled {email}."),
            (false, true) => format!("Disabled {email}. Their sessions end within a minute."),
            (false, false) => format!(
                "Disabled {email}. Their open sessions could not be ended just now; they end when their tokens are next refreshed."
            ),
        };
        form.with_notice(notice)
    }

    fn is_self(admin: &AuthSession, username: &str, sub: &str) -> bool {
        admin.username == username || admin.sub == sub
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
}

/// The page's own fields (sent with the page: the filter form is live; `users` left empty) and
/// the directory's rows (shown once: in the page's HTML, see [`shown_forms`]).
type AdminResource = Resource<Result<(AdminData, Shown<Vec<DirectoryUser>>), ApiError>>;

#[component]
pub fn AdminPage() -> impl IntoView {
    let query = use_query_map();
    let manage = ServerAction::<ManageUser>::new();
    // Made once for the page, not in the gate's view (see the dashboard).
    let data: AdminResource = Resource::new_blocking(
        move || {
            (
                manage.version().get(),
                query.with(|q| (q.get("q"), q.get("page"))),
            )
        },
        |(_, (filter, page))| async move {
            load_admin(filter, page).await.map(|mut d| {
                let users = std::mem::take(&mut d.users);
                (d, users.into())
            })
        },
    );
    view! {
        <Title text="Admin"/>
        <Gate area=Area::Admin children=move |user: UserView| view! { <Admin viewer=user.email manage data/> }/>
    }
}

#[component]
fn Admin(viewer: String, manage: ServerAction<ManageUser>, data: AdminResource) -> impl IntoView {
    let info = use_session();
    view! {
        <section class="card wide">
            <h1>"Admin"</h1>
            <nav aria-label="Admin sections">
                <ul class="inline-links">
                    <li><a href="/admin/lockouts">"Locked accounts"</a></li>
                    <li><a href="/admin/audit">"Audit log"</a></li>
                </ul>
            </nav>
            <h2>"Users"</h2>
            <p class="muted">"Signed in as " <strong>{viewer}</strong> "."</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let csrf = info.get_untracked().and_then(Result::ok).unwrap_or_default().csrf;
                    data.get().map(|result| match result {
                        Err(e) => view! { <div class="alert" role="alert">{e.to_string()}</div> }.into_any(),
                        Ok((d, users)) => {
                            let invalid = d.filter_error.is_some().then_some("true");
                            let described = d.filter_error.is_some().then_some("q-error");
                            let filter = d.filter.clone();
                            let next = d.next_page.clone().map(|token| {
                                format!("/admin?q={}&page={}", urlencode(&d.filter), urlencode(&token))
                            });
                            let groups = d.groups.clone();
                            view! {
                                <div>
                                    <Form method="GET" action="/admin" attr:class="filters">
                                        <div class="field">
                                            <label for="q">"Email starts with"</label>
                                            <input id="q" name="q" type="search" value=filter.clone()
                                                autocomplete="off" aria-invalid=invalid aria-describedby=described/>
                                        </div>
                                        <button type="submit" class="button">"Search"</button>
                                    </Form>
                                    {d.filter_error.clone().map(|m| view! { <p class="field-error" id="q-error">{m}</p> })}
                                    <ActionOutcome value=manage.value() form=FORM/>
                                    {shown_forms(users, manage, move |users| view! { <UserTable users groups manage csrf/> })}
                                    {next.map(|href| view! { <p><a href=href data-testid="next-page">"Next page"</a></p> })}
                                </div>
                            }.into_any()
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn UserTable(
    users: Vec<DirectoryUser>,
    groups: Vec<String>,
    manage: ServerAction<ManageUser>,
    csrf: String,
) -> impl IntoView {
    if users.is_empty() {
        return view! { <p data-testid="no-users">"No users match."</p> }.into_any();
    }
    view! {
        <TableWrap label="Users">
            <table class="data" data-testid="directory">
                <caption class="visually-hidden">"Users of the user pool"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Two-step"</th>
                        <th scope="col">"Groups"</th>
                        <th scope="col">"Actions"</th>
                    </tr>
                </thead>
                <tbody>
                    {users.into_iter().map(|u| view! {
                        <UserRow user=u groups=groups.clone() manage csrf=csrf.clone()/>
                    }).collect_view()}
                </tbody>
            </table>
        </TableWrap>
    }
    .into_any()
}

#[component]
fn UserRow(
    user: DirectoryUser,
    groups: Vec<String>,
    manage: ServerAction<ManageUser>,
    csrf: String,
) -> impl IntoView {
    let missing: Vec<String> = groups
        .iter()
        .filter(|g| !user.groups.contains(g))
        .cloned()
        .collect();
    let status = if user.enabled {
        user.status.clone()
    } else {
        format!("{} (disabled)", user.status)
    };
    let mfa = match user.mfa {
        Some(true) => "on",
        Some(false) => "off",
        None => "unknown",
    };
    // A user who lost their authenticator app: the reset asks to confirm on its own page.
    let reset_mfa = (user.mfa == Some(true)).then(|| {
        let href = format!("/admin/reset-mfa?user={}", urlencode(&user.username));
        let label = format!("Reset two-step verification for {}", user.email);
        view! { <a class="button small secondary" href=href aria-label=label data-testid="reset-mfa">"Reset two-step"</a> }
    });
    let email = user.email.clone();
    let username = user.username.clone();
    // Whether this row's `op` (on `group`) is the one in flight: that button says so.
    let busy = {
        let username = username.clone();
        move |op: &'static str, group: Option<String>| {
            let username = username.clone();
            Signal::derive(move || {
                manage.input().with(|i| {
                    i.as_ref().is_some_and(|i| {
                        i.username == username
                            && i.op == op
                            && (group.is_none() || i.group == group)
                    })
                })
            })
        }
    };
    let tags = user
        .groups
        .iter()
        .map(|g| {
            let label = format!("Remove {email} from {g}");
            let (csrf, username, group, name) = (csrf.clone(), username.clone(), g.clone(), g.clone());
            let pending = busy("remove", Some(g.clone()));
            view! {
                <li>
                    {name}
                    <ActionForm action=manage attr:class="inline">
                        <input type="hidden" name="csrf" value=csrf/>
                        <input type="hidden" name="username" value=username/>
                        <input type="hidden" name="op" value="remove"/>
                        <input type="hidden" name="group" value=group/>
                        <SubmitButton label="×" busy="…" pending class="tag-remove" aria_label=label attr:title="Remove"/>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    let add = (!missing.is_empty()).then(|| {
        let select_id = format!("add-{username}");
        let label = format!("Group to add {email} to");
        let button = format!("Add {email} to the chosen group");
        let options = missing
            .into_iter()
            .map(|g| {
                let value = g.clone();
                view! { <option value=value>{g}</option> }
            })
            .collect_view();
        let (csrf, username) = (csrf.clone(), username.clone());
        let pending = busy("add", None);
        view! {
            <ActionForm action=manage attr:class="inline">
                <input type="hidden" name="csrf" value=csrf/>
                <input type="hidden" name="username" value=username/>
                <input type="hidden" name="op" value="add"/>
                <label class="visually-hidden" for=select_id.clone()>{label}</label>
                <select id=select_id name="group">{options}</select>
                <SubmitButton label="Add" busy="Adding…" pending class="button small" aria_label=button/>
            </ActionForm>
        }
    });
    let (op, verb) = if user.enabled {
        ("disable", "Disable")
    } else {
        ("enable", "Enable")
    };
    let toggle_label = format!("{verb} {email}");
    let toggle_busy = if user.enabled {
        "Disabling…"
    } else {
        "Enabling…"
    };
    let toggle_pending = busy(op, None);
    view! {
        <tr data-testid="directory-row" data-email=user.email.clone() data-enabled=user.enabled.to_string()>
            <th scope="row">{user.email.clone()}</th>
            <td>{status}</td>
            <td>{mfa}</td>
            <td><ul class="tags">{tags}</ul></td>
            <td class="actions">
                {add}
                {reset_mfa}
                <ActionForm action=manage attr:class="inline">
                    <input type="hidden" name="csrf" value=csrf/>
                    <input type="hidden" name="username" value=username/>
                    <input type="hidden" name="op" value=op/>
                    <SubmitButton label=verb busy=toggle_busy pending=toggle_pending class="button small secondary"
                        aria_label=toggle_label/>
                </ActionForm>
            </td>
        </tr>
    }
}
