use super::set_http_status;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    set_http_status(404);
    view! {
        <Title text="Page not found"/>
        <section class="card">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address. Check the link, or start again from the home page."</p>
            <p><a href="/">"Go to the home page"</a></p>
        </section>
    }
}
