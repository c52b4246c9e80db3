//! Authorization rules by `cognito:groups`: one table, used by the server-side guard (status
//! codes, redirects), by every gated server function, and by the header (which links to show);
//! and where a visitor who is not let in goes: the sign-in page, then back (`next=`).

/// Group names as they appear in the verified `cognito:groups` claim.
pub const ADMINS: &str = "admins";
pub const ANALYSTS: &str = "analysts";

/// The sign-in page, where a gated page sends a visitor it does not know. The router also
/// serves it at `/login/`.
pub const SIGN_IN_PAGE: &str = "/login";

/// Whether a path (no query) is the sign-in page.
pub fn is_sign_in_page(path: &str) -> bool {
    path.trim_end_matches('/') == SIGN_IN_PAGE
}

/// `page`, which returns to `next` (a local path, with its query if any) when it is done.
pub fn page_then(page: &str, next: &str) -> String {
    format!("{page}?next={}", crate::support::urlencode(next))
}

/// The sign-in page that returns to `next` afterwards.
pub fn sign_in_then(next: &str) -> String {
    page_then(SIGN_IN_PAGE, next)
}

/// Where an admin confirms password and authenticator code before an admin action
/// (`ADMIN_STEP_UP_SECS`), then returns.
pub const STEP_UP_PAGE: &str = "/admin/confirm";

/// A gated part of the site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// Any signed-in user.
    Dashboard,
    /// Analysts and admins.
    Reports,
    /// Admins only.
    Admin,
}

impl Area {
    /// The groups allowed in; an empty list means "any signed-in user".
    pub fn allowed_groups(self) -> &'static [&'static str] {
        match self {
            Area::Dashboard => &[],
            Area::Reports => &[ANALYSTS, ADMINS],
            Area::Admin => &[ADMINS],
        }
    }

    /// Whether a signed-in user with these groups may enter.
    pub fn allows<S: AsRef<str>>(self, groups: &[S]) -> bool {
        let allowed = self.allowed_groups();
        allowed.is_empty() || groups.iter().any(|g| allowed.contains(&g.as_ref()))
    }

    /// The area a request path belongs to, if it is gated.
    pub fn for_path(path: &str) -> Option<Area> {
        let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
        match first {
            "dashboard" | "account" => Some(Area::Dashboard),
            "reports" => Some(Area::Reports),
            "admin" => Some(Area::Admin),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_group_gets_exactly_its_pages() {
        let none: [&str; 0] = [];
        let cases: [(&[&str], [bool; 3]); 4] = [
            (&none, [true, false, false]),
            (&["analysts"], [true, true, false]),
            (&["admins"], [true, true, true]),
            (&["other", "analysts"], [true, true, false]),
        ];
        for (groups, expected) in cases {
            let got = [Area::Dashboard, Area::Reports, Area::Admin].map(|a| a.allows(groups));
            assert_eq!(got, expected, "groups {groups:?}");
        }
    }

    #[test]
    fn paths_map_to_areas() {
        assert_eq!(Area::for_path("/admin"), Some(Area::Admin));
        assert_eq!(Area::for_path("/admin/lockouts"), Some(Area::Admin));
        assert_eq!(Area::for_path("/reports"), Some(Area::Reports));
        assert_eq!(Area::for_path("/dashboard"), Some(Area::Dashboard));
        assert_eq!(Area::for_path("/administrator"), None);
        assert_eq!(Area::for_path("/"), None);
        assert_eq!(Area::for_path("/login"), None);
    }

    #[test]
    fn the_sign_in_page_is_known_by_its_path_and_returns_to_next() {
        assert!(is_sign_in_page("/login"));
        assert!(is_sign_in_page("/login/"));
        assert!(!is_sign_in_page("/login/mfa"));
        assert!(!is_sign_in_page("/loginx"));
        assert_eq!(
            sign_in_then("/reports?from=2026-12-01&to=2026-12-07"),
            "/login?next=/reports%3Ffrom%3D2026-12-01%26to%3D2026-12-07"
        );
    }
}
