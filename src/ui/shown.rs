//! Data a page only shows, sent to the browser once: in the page's HTML, not again in its
//! hydration state.
//!
//! A resource's value is serialized into the page so that the browser can hydrate the view it
//! rendered; for a view that only shows data (a chart, a table of events) that repeats every row
//! the HTML already holds. A value wrapped in [`Shown`] is rendered by the server into a `<div>`
//! ([`shown`]) and serialized as nothing: the hydrating browser gets [`Shown::InPage`] and keeps
//! the server's markup (an `inner_html` is never applied again on hydration). After a navigation
//! in the browser the resource fetches the value and renders it there.
//!
//! Only for views without event handlers or state of their own: what is inside is plain markup
//! (links still navigate through the router, which listens on the document). A server
//! function never returns a `Shown` (its answer would be empty): the resource wraps the value.
//! `InPage` renders an empty `<div>` outside hydration, so a resource holding it must be
//! fetched again (not re-rendered from the hydrated value) before its view is built anew.
//!
//! The server writes a value's markup once per value: Leptos builds a `Suspense`'s children
//! up to three times while it renders a page (two passes that find the resources they read,
//! then the one it writes), and each build reads the resource again. Those reads share the
//! value ([`Shown::Value`] holds it behind an `Arc`), so the later builds reuse the markup the
//! first one wrote instead of rendering the chart or table again.

use leptos::either::Either;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::sync::{Arc, OnceLock};

/// A value the page shows: rendered where it is (`Value`), or already in the page (`InPage`).
#[derive(Clone, Debug, PartialEq)]
pub enum Shown<T> {
    Value(Arc<Showing<T>>),
    /// What the hydrating browser holds: the server rendered the value into the page.
    InPage,
}

/// A value and, once the server has rendered it, its markup.
#[derive(Clone, Debug)]
pub struct Showing<T> {
    value: T,
    markup: OnceLock<Arc<str>>,
}

/// Equal values are equal whether or not either has been rendered yet.
impl<T: PartialEq> PartialEq for Showing<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T> From<T> for Shown<T> {
    fn from(value: T) -> Self {
        Shown::Value(Arc::new(Showing {
            value,
            markup: OnceLock::new(),
        }))
    }
}

/// Serialized as nothing (`null`): the page's HTML carries it.
impl<T> Serialize for Shown<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

impl<'de, T> Deserialize<'de> for Shown<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(deserializer)?;
        Ok(Shown::InPage)
    }
}

/// A `<div>` holding `render(value)`: rendered by the server as markup, kept as it is by the
/// hydrating browser, rendered by the browser itself after a navigation (as nodes: a browser
/// build cannot write every view as HTML). On the server `render` runs once per value: a
/// later call with the same value (another build of the same view) reuses its markup, so every
/// call for one value must render it the same way.
pub fn shown<T, V>(value: Shown<T>, render: impl FnOnce(T) -> V) -> impl IntoView
where
    T: Clone,
    V: IntoView + 'static,
{
    match value {
        // The server: the markup the hydrating browser will find and keep, written once.
        Shown::Value(v) if cfg!(feature = "ssr") => {
            let html = v
                .markup
                .get_or_init(|| Arc::from(render(v.value.clone()).to_html()))
                .clone();
            Either::Left(view! { <div class="shown" inner_html=html></div> })
        }
        Shown::InPage => {
            let nothing: Arc<str> = Arc::from("");
            Either::Left(view! { <div class="shown" inner_html=nothing></div> })
        }
        Shown::Value(v) => {
            let value = Arc::unwrap_or_clone(v).value;
            Either::Right(view! { <div class="shown">{render(value)}</div> })
        }
    }
}

/// [`shown`] for rows whose controls are forms posting to `action` (the admin directory, the
/// lockouts): the rows are sent once, as markup, yet their buttons work as in the rest of the
/// app. One `submit` handler around them sends any of their forms through `action`, as an
/// `ActionForm` would, and marks the pressed button busy (`aria-busy`, `aria-disabled`, the
/// button's `data-busy` text; pressed again, it does nothing) until the answer has the rows
/// fetched and rendered again. Rows the browser rendered itself (after a navigation) hold
/// `ActionForm`s, which handle their own submits first. A form whose fields do not read as
/// the action's input, and every form without JavaScript, posts as a plain HTML form.
///
/// What holds `value` must be rebuilt only when the data is fetched again (see [`Shown`]):
/// read the action's answer, and anything else that changes, in a view of its own.
pub fn shown_forms<T, V, S>(
    value: Shown<T>,
    action: ServerAction<S>,
    render: impl FnOnce(T) -> V,
) -> impl IntoView
where
    T: Clone,
    V: IntoView + 'static,
    S: ServerFn + DeserializeOwned + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let on_submit = move |ev: SubmitEvent| {
        if ev.default_prevented() {
            return;
        }
        #[cfg(feature = "hydrate")]
        {
            use leptos::form::FromFormData;
            let Ok(input) = S::from_event(&ev) else {
                return;
            };
            ev.prevent_default();
            let button = ev.submitter();
            if let Some(button) = &button {
                if button.has_attribute("aria-busy") {
                    return;
                }
                let _ = button.set_attribute("aria-busy", "true");
                let _ = button.set_attribute("aria-disabled", "true");
                if let Some(busy) = button.get_attribute("data-busy") {
                    button.set_text_content(Some(&busy));
                }
            }
            action.dispatch(input);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = action;
    };
    view! { <div class="shown-forms" on:submit=on_submit>{shown(value, render)}</div> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shown_value_is_serialized_as_nothing_and_read_back_as_in_page() {
        let sent: Result<Shown<Vec<String>>, String> = Ok(Shown::from(vec!["row".into()]));
        let json = serde_json::to_string(&sent).unwrap();
        assert_eq!(json, r#"{"Ok":null}"#);
        let back: Result<Shown<Vec<String>>, String> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Ok(Shown::InPage));
    }

    #[test]
    fn the_server_writes_a_values_markup_once_however_often_its_view_is_built() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let value = Shown::from(vec!["first row".to_string(), "second row".to_string()]);
        let renders = AtomicUsize::new(0);
        let pages: Vec<String> = (0..3)
            .map(|_| {
                shown(value.clone(), |rows| {
                    renders.fetch_add(1, Ordering::Relaxed);
                    view! { <ul>{rows.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul> }
                })
                .to_html()
            })
            .collect();
        assert_eq!(renders.load(Ordering::Relaxed), 1);
        assert!(
            pages[0].contains("<li>first row</li><li>second row</li>"),
            "{}",
            pages[0]
        );
        assert!(pages.iter().all(|p| *p == pages[0]));
    }
}
