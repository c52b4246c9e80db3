//! `next=`: where to go after signing in. Only local paths are accepted; anything that a
//! browser could read as another origin (`//evil`, `/\evil`, `https://…`) falls back to the
//! dashboard.

use crate::access::SIGN_IN_PAGE;

pub const DEFAULT_AFTER_SIGN_IN: &str = "/dashboard";

/// Returns a safe local path to redirect to.
pub fn sanitize_next(next: Option<&str>) -> String {
    let Some(next) = next.map(str::trim).filter(|n| !n.is_empty()) else {
        return DEFAULT_AFTER_SIGN_IN.to_string();
    };
    let safe = next.len() <= 2048
        && next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace())
        // The sign-in page (or a step of it) after signing in would loop back to the form.
        && !is_sign_in_step(next);
    if safe {
        next.to_string()
    } else {
        DEFAULT_AFTER_SIGN_IN.to_string()
    }
}

fn is_sign_in_step(next: &str) -> bool {
    let path = next.split(['?', '#']).next().unwrap_or(next);
    path.strip_prefix(SIGN_IN_PAGE)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_are_kept() {
        for p in [
            "/reports",
            "/admin/lockouts?x=1#frag",
            "/dashboard",
            "/a/b%2Fc",
        ] {
            assert_eq!(sanitize_next(Some(p)), p);
        }
    }

    #[test]
    fn anything_else_goes_to_the_dashboard() {
        for p in [
            "https://evil.example/",
            "http:/evil.example",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "evil.example",
            "javascript:alert(1)",
            "/foo\r\nLocation: https://evil.example",
            "/\tevil",
            "/login",
            "/login?next=/admin",
            "/login#top",
            "/login/",
            "/login/mfa",
            "",
            "   ",
        ] {
            assert_eq!(sanitize_next(Some(p)), DEFAULT_AFTER_SIGN_IN, "{p:?}");
        }
        assert_eq!(sanitize_next(None), DEFAULT_AFTER_SIGN_IN);
        assert_eq!(
            sanitize_next(Some(&format!("/{}", "a".repeat(3000)))),
            DEFAULT_AFTER_SIGN_IN
        );
    }
}
