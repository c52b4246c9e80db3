//! `/admin` (group `admins`): the user directory from Cognito (`ListUsers`, filtered by email
//! prefix, paginated) with each user's status, MFA and groups, and the admin actions (group
//! membership, enable/disable) as CSRF-protected POSTs that the server checks again.

use super::{latest_form_state, urlencode, FormAlert, Gate};
use crate::access::Area;
use crate::api::{load_admin, ManageUser};
use crate::app::use_session;
use crate::model::{forms, DirectoryUser};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AdminPage() -> impl IntoView {
    view! {
        <Title text="Admin"/>
        <Gate area=Area::Admin children=|_user| view! { <Admin/> }/>
    }
}

#[component]
fn Admin() -> impl IntoView {
    let info = use_session();
    let query = use_query_map();
    let manage = ServerAction::<ManageUser>::new();
    let data = Resource::new_blocking(
        move || {
            (
                manage.version().get(),
                query.with(|q| (q.get("q"), q.get("page"))),
            )
        },
        |(_, (filter, page))| load_admin(filter, page),
    );
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
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let session = info.get().and_then(Result::ok).unwrap_or_default();
                    let state = latest_form_state(manage.value().get(), &session, forms::DIRECTORY);
                    let csrf = session.csrf.clone();
                    data.get().map(|result| match result {
                        Err(e) => view! { <div class="alert" role="alert">{e.to_string()}</div> }.into_any(),
                        Ok(d) => {
                            let invalid = d.filter_error.is_some().then_some("true");
                            let described = d.filter_error.is_some().then_some("q-error");
                            let filter = d.filter.clone();
                            let next = d.next_page.clone().map(|token| {
                                format!("/admin?q={}&page={}", urlencode(&d.filter), urlencode(&token))
                            });
                            view! {
                                <div>
                                    <p class="muted">"Signed in as " <strong>{d.viewer.clone()}</strong> "."</p>
                                    <Form method="GET" action="/admin" attr:class="filters">
                                        <div class="field">
                                            <label for="q">"Email starts with"</label>
                                            <input id="q" name="q" type="search" value=filter.clone()
                                                autocomplete="off" aria-invalid=invalid aria-describedby=described/>
                                        </div>
                                        <button type="submit" class="button">"Search"</button>
                                    </Form>
                                    {d.filter_error.clone().map(|m| view! { <p class="field-error" id="q-error">{m}</p> })}
                                    {state.notice.clone().map(|n| view! { <p class="notice" role="status">{n}</p> })}
                                    <FormAlert state=state.clone()/>
                                    <UserTable users=d.users groups=d.groups manage csrf/>
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
        <div class="table-wrap">
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
        </div>
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
    let email = user.email.clone();
    let username = user.username.clone();
    let tags = user
        .groups
        .iter()
        .map(|g| {
            let label = format!("Remove {email} from {g}");
            let (csrf, username, group, name) = (csrf.clone(), username.clone(), g.clone(), g.clone());
            view! {
                <li>
                    {name}
                    <ActionForm action=manage attr:class="inline">
                        <input type="hidden" name="csrf" value=csrf/>
                        <input type="hidden" name="username" value=username/>
                        <input type="hidden" name="op" value="remove"/>
                        <input type="hidden" name="group" value=group/>
                        <button type="submit" class="tag-remove" aria-label=label title="Remove">"×"</button>
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
        view! {
            <ActionForm action=manage attr:class="inline">
                <input type="hidden" name="csrf" value=csrf/>
                <input type="hidden" name="username" value=username/>
                <input type="hidden" name="op" value="add"/>
                <label class="visually-hidden" for=select_id.clone()>{label}</label>
                <select id=select_id name="group">{options}</select>
                <button type="submit" class="button small" aria-label=button>"Add"</button>
            </ActionForm>
        }
    });
    let (op, verb) = if user.enabled {
        ("disable", "Disable")
    } else {
        ("enable", "Enable")
    };
    let toggle_label = format!("{verb} {email}");
    view! {
        <tr data-testid="directory-row" data-email=user.email.clone() data-enabled=user.enabled.to_string()>
            <th scope="row">{user.email.clone()}</th>
            <td>{status}</td>
            <td>{mfa}</td>
            <td><ul class="tags">{tags}</ul></td>
            <td class="actions">
                {add}
                <ActionForm action=manage attr:class="inline">
                    <input type="hidden" name="csrf" value=csrf/>
                    <input type="hidden" name="username" value=username/>
                    <input type="hidden" name="op" value=op/>
                    <button type="submit" class="button small secondary" aria-label=toggle_label>{verb}</button>
                </ActionForm>
            </td>
        </tr>
    }
}
