//! `/admin/lockouts` (group `admins`): the account names locked now, soonest unlock first,
//! 50 a page, each with an Unlock button (a CSRF-protected POST, checked again on the server).

use super::{latest_form_state, FormAlert, Gate};
use crate::access::Area;
use crate::api::{list_lockouts, UnlockAccount};
use crate::app::use_session;
use crate::model::LockoutRow;
use crate::pages::urlencode;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

pub const FORM: &str = "unlock";

#[component]
pub fn LockoutsPage() -> impl IntoView {
    view! {
        <Title text="Lockouts"/>
        <Gate area=Area::Admin children=|_user| view! { <Lockouts/> }/>
    }
}

#[component]
fn Lockouts() -> impl IntoView {
    let info = use_session();
    let unlock = ServerAction::<UnlockAccount>::new();
    let query = use_query_map();
    // Re-read after every unlock.
    let data = Resource::new_blocking(
        move || (unlock.version().get(), query.with(|q| q.get("page"))),
        |(_, page)| list_lockouts(page),
    );
    view! {
        <section class="card">
            <p class="breadcrumb"><a href="/admin">"Admin"</a> " / Lockouts"</p>
            <h1>"Locked accounts"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let session = info.get().and_then(Result::ok).unwrap_or_default();
                    let state = latest_form_state(unlock.value().get(), &session, FORM);
                    let csrf = session.csrf.clone();
                    data.get().map(|result| match result {
                        Err(e) => view! { <div class="alert" role="alert">{e.to_string()}</div> }.into_any(),
                        Ok(d) => {
                            let next = d.next_page.clone().map(|token| {
                                format!("/admin/lockouts?page={}", urlencode(&token))
                            });
                            view! {
                                <p class="muted">{d.policy}</p>
                                {state.notice.clone().map(|n| view! { <p class="notice" role="status">{n}</p> })}
                                <FormAlert state=state.clone()/>
                                <LockoutTable rows=d.rows unlock csrf/>
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
        <div class="table-wrap">
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
                        view! {
                            <tr data-testid="lockout-row" data-username=name>
                                <th scope="row">{shown}</th>
                                <td>{row.attempts}</td>
                                <td>{row.unlocks_at}</td>
                                <td>
                                    <ActionForm action=unlock attr:class="inline">
                                        <input type="hidden" name="csrf" value=csrf/>
                                        <input type="hidden" name="username" value=row.username/>
                                        <button type="submit" class="button small" aria-label=label>"Unlock"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}
