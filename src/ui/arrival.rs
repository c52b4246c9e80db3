//! What a form's answer brings for the page it leads to, so that the page paints without
//! asking the server again.
//!
//! A sign-in with JavaScript ends in the page itself: its answer carries the visitor's new
//! session and the destination's data; the form hands both over here and navigates in the
//! app. The session resource (re-read on every navigation) and the destination page's own
//! resource each take their part once, instead of fetching it: one round trip from the click
//! to the painted page, no new document. Anything not taken is simply fetched as usual.

use crate::model::SessionInfo;
use leptos::prelude::*;
use std::any::Any;

type PageData = Box<dyn Any + Send + Sync>;

/// Held for the next navigation: the session as it now is, and the data of the page it leads
/// to (typed by that page).
#[derive(Clone, Copy)]
pub struct Arrival {
    session: StoredValue<Option<SessionInfo>>,
    page: StoredValue<Option<PageData>>,
}

impl Arrival {
    /// A place for hand-overs, provided to everything inside the router.
    pub fn provide() -> Self {
        let arrival = Arrival {
            session: StoredValue::new(None),
            page: StoredValue::new(None),
        };
        provide_context(arrival);
        arrival
    }

    /// Keeps `session` and `page` for the navigation that follows.
    pub fn hand_over<T: Any + Send + Sync>(&self, session: SessionInfo, page: T) {
        self.session.set_value(Some(session));
        self.page.set_value(Some(Box::new(page)));
    }

    /// The session handed over, once. Taken at every navigation: one that hands nothing
    /// over also drops page data a previous hand-over left untaken, so that it can never
    /// show on a later visit.
    pub fn take_session(&self) -> Option<SessionInfo> {
        let session = self.session.try_update_value(Option::take).flatten();
        if session.is_none() {
            self.page.set_value(None);
        }
        session
    }

    /// The page data handed over, once, if it is a `T`.
    pub fn take_page<T: Any>(&self) -> Option<T> {
        let data = self.page.try_update_value(Option::take).flatten()?;
        data.downcast::<T>().ok().map(|data| *data)
    }
}

/// The hand-over place of this page, if the router scope provides one.
pub fn use_arrival() -> Option<Arrival> {
    use_context::<Arrival>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_handed_over_is_taken_once_and_only_as_its_own_type() {
        let owner = Owner::new();
        owner.with(|| {
            let arrival = Arrival::provide();
            let session = SessionInfo {
                csrf: "token".into(),
                ..Default::default()
            };
            arrival.hand_over(session.clone(), 42u32);
            assert_eq!(arrival.take_page::<String>(), None, "another page's type");
            assert_eq!(arrival.take_session(), Some(session));
            assert_eq!(arrival.take_session(), None);

            arrival.hand_over(SessionInfo::default(), 7u32);
            assert_eq!(arrival.take_page::<u32>(), Some(7));
            assert_eq!(arrival.take_page::<u32>(), None);

            // Left untaken: the next navigation, which hands nothing over, drops it.
            arrival.hand_over(SessionInfo::default(), 9u32);
            assert!(arrival.take_session().is_some());
            assert_eq!(arrival.take_session(), None);
            assert_eq!(arrival.take_page::<u32>(), None);
        });
    }
}
