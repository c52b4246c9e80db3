//! The form controls every form shares beyond a plain text field: a password field with a
//! show/hide button, a one-time-code field, the hidden username password managers need, a
//! submit button that says what it is doing, and a copy button.
//!
//! Anything that needs JavaScript (the show/hide and copy buttons) appears only once the page
//! is hydrated: without JavaScript the page is complete without it (a plain password field,
//! a key to select by hand).

use super::FieldError;
use leptos::prelude::*;

/// `true` once this component runs in the browser (after hydration); `false` on the server
/// and in a page without JavaScript.
fn scripted() -> ReadSignal<bool> {
    let (on, set) = signal(false);
    Effect::new(move |_| set.set(true));
    on
}

/// The `aria-describedby` of a field: its error (when shown), then any further notes.
fn described_by(error_id: &str, invalid: bool, more: Option<&str>) -> Option<String> {
    let ids = [invalid.then_some(error_id), more]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    (!ids.is_empty()).then_some(ids)
}

/// A labelled password input with its error, and (with JavaScript) a "Show"/"Hide" button:
/// a real button (keyboard; screen readers hear "Show password" / "Hide password" and, once
/// pressed, whether the password is now shown), which shows the password as text until pressed
/// again or any form is sent (the browser must not keep a password as plain text).
#[component]
pub fn PasswordField(
    id: &'static str,
    label: &'static str,
    autocomplete: &'static str,
    error: Option<String>,
    /// Further descriptions of the field (the new password's rules), after its error.
    #[prop(optional)]
    notes: Option<&'static str>,
    /// Called with the value on every keystroke (the rules ticked off as the user types).
    #[prop(optional)]
    on_input: Option<Callback<String>>,
) -> impl IntoView {
    let shown = RwSignal::new(false);
    // Whether the user pressed the button yet: the status says nothing before.
    let toggled = RwSignal::new(false);
    let scripted = scripted();
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::submit, move |_| shown.set(false));
        on_cleanup(move || handle.remove());
    }
    let error_id = format!("{id}-error");
    let invalid = error.is_some();
    let describedby = described_by(&error_id, invalid, notes);
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <div class="password-input">
                <input id=id name=id type=move || if shown.get() { "text" } else { "password" }
                    autocomplete=autocomplete required spellcheck="false" autocapitalize="off"
                    aria-invalid=invalid.then_some("true")
                    aria-describedby=describedby
                    on:input=move |ev| {
                        if let Some(f) = on_input {
                            f.run(event_target_value(&ev));
                        }
                    }/>
                {move || scripted.get().then(|| view! {
                    <button type="button" class="reveal" aria-controls=id
                        aria-label=move || if shown.get() { "Hide password" } else { "Show password" }
                        data-testid="reveal"
                        on:click=move |_| {
                            toggled.set(true);
                            shown.update(|s| *s = !*s);
                        }>
                        {move || if shown.get() { "Hide" } else { "Show" }}
                    </button>
                    <span class="visually-hidden" role="status">
                        {move || toggled.get().then(|| {
                            if shown.get() { "Your password is shown." } else { "Your password is hidden." }
                        })}
                    </span>
                })}
            </div>
            <FieldError id=error_id message=error/>
        </div>
    }
}

/// A one-time code (an authenticator app's, or one sent by e-mail): six digits, the phone's
/// number pad, the code offered by the browser or the phone from the SMS or mail app.
#[component]
pub fn CodeField(
    id: &'static str,
    label: &'static str,
    #[prop(optional)] value: String,
    error: Option<String>,
    /// Focus it when the page opens (when it is the field the user came for). A field drawn
    /// again with a value (an error elsewhere in the form) is not focused again.
    #[prop(optional)]
    autofocus: bool,
) -> impl IntoView {
    let autofocus = autofocus && value.is_empty();
    let error_id = format!("{id}-error");
    let invalid = error.is_some();
    // `autofocus` serves a page load; a page the app draws after a navigation focuses the
    // field itself once it is in the document.
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = input.get().filter(|_| autofocus) {
            let _ = el.focus();
        }
    });
    view! {
        <div class="field">
            <label for=id>{label}</label>
            // Seven: a code pasted as "123 456" (as authenticator apps show it) fits; the server
            // drops the space.
            <input id=id name=id type="text" inputmode="numeric" autocomplete="one-time-code" node_ref=input
                maxlength="7" pattern="[0-9]{3} ?[0-9]{3}" required value=value
                autofocus=autofocus
                aria-invalid=invalid.then_some("true")
                aria-describedby=described_by(&error_id, invalid, None)/>
            <FieldError id=error_id message=error/>
        </div>
    }
}

/// Which account a form's password belongs to, for password managers (a form that sets or
/// checks a password without showing the e-mail). Not posted (no name), not focusable.
#[component]
pub fn HiddenUsername(value: String) -> impl IntoView {
    view! {
        <input type="email" autocomplete="username" value=value
            hidden readonly tabindex="-1" aria-hidden="true"/>
    }
}

/// A submit button that says what it is doing while its action runs, and cannot be pressed
/// twice meanwhile. `aria-disabled` rather than `disabled`: a disabled button would drop the
/// keyboard focus it has; a press while busy is ignored instead.
#[component]
pub fn SubmitButton(
    label: &'static str,
    /// What it says while busy ("Signing in…").
    busy: &'static str,
    #[prop(into)] pending: Signal<bool>,
    #[prop(optional, default = "button")] class: &'static str,
    /// An accessible name when the label alone is ambiguous (one button per table row).
    #[prop(optional, into)]
    aria_label: Option<String>,
) -> impl IntoView {
    view! {
        // `data-busy`: what the button says while busy, for rows sent as markup (`shown_forms`).
        <button type="submit" class=class aria-label=aria_label data-busy=busy
            aria-disabled=move || pending.get().then_some("true")
            aria-busy=move || pending.get().then_some("true")
            on:click=move |ev| {
                if pending.get_untracked() {
                    ev.prevent_default();
                }
            }>
            {move || if pending.get() { busy } else { label }}
        </button>
    }
}

/// A button that copies `text` to the clipboard (with JavaScript), and says whether it did.
#[component]
pub fn CopyButton(text: String, label: &'static str) -> impl IntoView {
    let scripted = scripted();
    let outcome = RwSignal::new(None::<&'static str>);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let text = text.clone();
            leptos::task::spawn_local(async move {
                // The clipboard exists only on secure pages (https, or localhost).
                let done = match web_sys::window().filter(|w| w.is_secure_context()) {
                    Some(w) => {
                        let promise = w.navigator().clipboard().write_text(&text);
                        wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
                    }
                    None => false,
                };
                outcome.set(Some(if done {
                    "Copied."
                } else {
                    "Could not copy: select the key and copy it."
                }));
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &text;
    };
    view! {
        {move || scripted.get().then(|| {
            let copy = copy.clone();
            view! {
                <span class="copy">
                    <button type="button" class="button small secondary" on:click=copy>{label}</button>
                    <span role="status" class="muted" data-testid="copy-status">{move || outcome.get()}</span>
                </span>
            }
        })}
    }
}
