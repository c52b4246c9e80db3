use super::Gate;
use crate::access::Area;
use crate::api::load_reports;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ReportsPage() -> impl IntoView {
    view! {
        <Title text="Reports"/>
        <Gate area=Area::Reports children=|_user| view! { <Reports/> }/>
    }
}

#[component]
fn Reports() -> impl IntoView {
    let data = Resource::new_blocking(|| (), |_| load_reports());
    view! {
        <section class="card">
            <h1>"Reports"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(d) => view! {
                            <p>"Reports for analysts and administrators. Viewing as " <strong>{d.viewer}</strong> "."</p>
                        }.into_any(),
                        Err(e) => view! { <div class="alert" role="alert">{e.to_string()}</div> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
