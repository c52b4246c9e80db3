use super::Gate;
use crate::access::Area;
use crate::api::load_admin;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AdminPage() -> impl IntoView {
    view! {
        <Title text="Admin"/>
        <Gate area=Area::Admin children=|_user| view! { <Admin/> }/>
    }
}

#[component]
fn Admin() -> impl IntoView {
    let data = Resource::new_blocking(|| (), |_| load_admin());
    view! {
        <section class="card">
            <h1>"Admin"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(d) => view! {
                            <p>"Administration console. Signed in as " <strong>{d.viewer}</strong> "."</p>
                            <ul>
                                <li><a href="/admin/lockouts">"Locked accounts and recent failed sign-ins"</a></li>
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <div class="alert" role="alert">{e.to_string()}</div> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
