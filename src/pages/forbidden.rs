use leptos::prelude::*;
use leptos_meta::Title;

/// Shown (with HTTP 403) when a signed-in user opens a page their groups do not allow.
#[component]
pub fn Forbidden() -> impl IntoView {
    view! {
        <Title text="Access denied"/>
        <section class="card">
            <h1>"Access denied"</h1>
            <p>"Your account does not have access to this page. If you think it should, ask an administrator to add you to the right group."</p>
            <p><a href="/dashboard">"Back to your dashboard"</a></p>
        </section>
    }
}
