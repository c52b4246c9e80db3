//! What every part of the settings reads with: [`Secret`], [`ConfigError`], and [`Vars`], the
//! typed readers of one variable (text, required, URL, seconds, counts, flags, one of a few
//! words). Each reader gives the same message for the same mistake wherever it is used.

use std::fmt;
use std::time::Duration;

/// A value that must never reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("missing required environment variable {0}")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

impl ConfigError {
    /// `name` is set but unusable, for `reason`.
    pub(super) fn invalid(name: &'static str, reason: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            name,
            reason: reason.into(),
        }
    }
}

/// The variables, read through a lookup (the environment, or a map in tests). A value is
/// trimmed, and a blank one counts as unset.
pub(super) struct Vars<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Vars<'a> {
    pub(super) fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Vars { lookup }
    }

    /// The value as the lookup gives it, untrimmed (for readers outside this module that
    /// trim themselves, such as the lockout policy's).
    pub(super) fn raw(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
    }

    /// The trimmed value; `None` when unset or blank.
    pub(super) fn get(&self, name: &'static str) -> Option<String> {
        self.raw(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// The value, or `default` when unset.
    pub(super) fn text(&self, name: &'static str, default: &str) -> String {
        self.get(name).unwrap_or_else(|| default.to_string())
    }

    pub(super) fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.get(name).ok_or(ConfigError::Missing(name))
    }

    /// An `http://` or `https://` URL without its trailing `/`; `None` when unset.
    pub(super) fn url(&self, name: &'static str) -> Result<Option<String>, ConfigError> {
        self.get(name)
            .map(|value| {
                if value.starts_with("http://") || value.starts_with("https://") {
                    Ok(value.trim_end_matches('/').to_string())
                } else {
                    Err(ConfigError::invalid(
                        name,
                        "must start with http:// or https://",
                    ))
                }
            })
            .transpose()
    }

    /// A positive number of seconds.
    pub(super) fn secs(&self, name: &'static str, default: u64) -> Result<Duration, ConfigError> {
        self.number(name, default, 1, "a positive number of seconds")
            .map(Duration::from_secs)
    }

    /// A positive number of milliseconds.
    pub(super) fn millis(&self, name: &'static str, default: u64) -> Result<Duration, ConfigError> {
        self.number(name, default, 1, "a positive number of milliseconds")
            .map(Duration::from_millis)
    }

    /// A number of seconds where 0 turns the feature off.
    pub(super) fn secs_or_off(
        &self,
        name: &'static str,
        default: u64,
    ) -> Result<Duration, ConfigError> {
        self.count_or_off(name, default).map(Duration::from_secs)
    }

    /// A positive whole number.
    pub(super) fn count(&self, name: &'static str, default: u64) -> Result<u64, ConfigError> {
        self.number(name, default, 1, "a positive whole number")
    }

    /// A whole number where 0 turns the feature off.
    pub(super) fn count_or_off(
        &self,
        name: &'static str,
        default: u64,
    ) -> Result<u64, ConfigError> {
        self.number(name, default, 0, "a whole number (0 turns it off)")
    }

    /// A whole number of at least `min`, or `default` when unset; otherwise
    /// `expected {expected}, got "…"`.
    fn number(
        &self,
        name: &'static str,
        default: u64,
        min: u64,
        expected: &str,
    ) -> Result<u64, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.parse::<u64>() {
                Ok(n) if n >= min => Ok(n),
                _ => Err(ConfigError::invalid(
                    name,
                    format!("expected {expected}, got {v:?}"),
                )),
            },
        }
    }

    /// `1`/`true`/`yes`/`on` or `0`/`false`/`no`/`off`, in any case.
    pub(super) fn flag(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name).map(|v| v.to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => Ok(true),
            Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => Ok(false),
            Some(v) => Err(ConfigError::invalid(
                name,
                format!("expected true or false, got {v:?}"),
            )),
        }
    }
}

/// `value` (as the caller read it) is one of `words`, or `default` when unset; otherwise
/// `expected a or b, got "…"`.
pub(super) fn one_of<T: Copy>(
    name: &'static str,
    value: Option<String>,
    default: T,
    words: &[(&str, T)],
) -> Result<T, ConfigError> {
    let Some(value) = value else {
        return Ok(default);
    };
    match words.iter().find(|(word, _)| *word == value) {
        Some((_, choice)) => Ok(*choice),
        None => {
            let expected: Vec<&str> = words.iter().map(|(word, _)| *word).collect();
            Err(ConfigError::invalid(
                name,
                format!("expected {}, got {value:?}", expected.join(" or ")),
            ))
        }
    }
}
