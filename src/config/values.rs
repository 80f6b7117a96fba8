//! The value types the groups are built from. Each parses one variable's text and, when it
//! cannot, says what was given and what is accepted ([`Invalid`]); the loader puts the
//! variable's name in front, since envy keeps a custom error's message but not its variable.

use std::fmt;
use std::time::Duration;

use serde::de::{Deserialize, Deserializer, Error as _};

use super::ConfigError;

/// A value that does not parse: the text given and what is accepted instead.
#[derive(Debug)]
pub(crate) struct Invalid {
    value: String,
    accepted: String,
}

impl Invalid {
    /// `value` was given; `accepted` says what would do, e.g. `true or false`.
    pub(crate) fn new(value: &str, accepted: impl Into<String>) -> Self {
        Invalid {
            value: value.to_string(),
            accepted: accepted.into(),
        }
    }

    /// The one-line error for `var`, for values parsed outside envy.
    pub(crate) fn for_var(self, var: &str) -> ConfigError {
        ConfigError(format!("{var}={self}"))
    }
}

/// The text after `VAR=` in every malformed-value message.
impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not valid; expected {}",
            self.value, self.accepted
        )
    }
}

/// Deserializes a variable's text with `parse`; its [`Invalid`] becomes serde's custom error.
pub(crate) fn parse_text<'de, D, T>(
    deserializer: D,
    parse: impl FnOnce(&str) -> Result<T, Invalid>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    let text = String::deserialize(deserializer)?;
    parse(&text).map_err(D::Error::custom)
}

/// A setting chosen by name from a fixed list, ignoring case. The one place the name-to-variant
/// `match` lives for every such enum (transport, telemetry level, log level and format).
pub(crate) trait Choice: Copy + PartialEq + 'static {
    /// Each accepted spelling with its value; the first spelling of a value is its name.
    const NAMES: &'static [(&'static str, Self)];
    /// What an error says is accepted, e.g. `auto, json or text`.
    const EXPECTED: &'static str;

    /// The value named by `text`, in any case.
    fn parse(text: &str) -> Result<Self, Invalid> {
        let lower = text.to_ascii_lowercase();
        Self::NAMES
            .iter()
            .find(|(name, _)| *name == lower)
            .map(|(_, value)| *value)
            .ok_or_else(|| Invalid::new(text, Self::EXPECTED))
    }

    /// The value's (first) name, as written in [`Choice::NAMES`].
    fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, value)| *value == self)
            .map(|(name, _)| *name)
            // Every variant is listed in NAMES; an empty name would only show in a log line.
            .unwrap_or_default()
    }
}

/// `true`/`false` with the spellings deployments use: `1`/`0`, `yes`/`no`, `on`/`off`, any case.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Flag(pub bool);

impl Flag {
    fn parse(text: &str) -> Result<Self, Invalid> {
        match text.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(Flag(true)),
            "false" | "0" | "no" | "off" => Ok(Flag(false)),
            _ => Err(Invalid::new(text, "true or false")),
        }
    }
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parse_text(deserializer, Flag::parse)
    }
}

/// A whole number no smaller than `MIN` (a count of bytes, requests, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WholeNumber<const MIN: u64>(pub u64);

impl<const MIN: u64> WholeNumber<MIN> {
    /// Digits only: no sign, no unit.
    pub(crate) fn parse(text: &str) -> Result<Self, Invalid> {
        match text.parse::<u64>() {
            Ok(n) if n >= MIN => Ok(WholeNumber(n)),
            _ => Err(Invalid::new(text, format!("a whole number ≥ {MIN}"))),
        }
    }
}

impl<'de, const MIN: u64> Deserialize<'de> for WholeNumber<MIN> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parse_text(deserializer, WholeNumber::parse)
    }
}

/// A duration given in whole seconds, at least `MIN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Seconds<const MIN: u64>(pub Duration);

impl<const MIN: u64> Seconds<MIN> {
    /// A default, written in seconds as the variable is.
    pub(crate) const fn new(seconds: u64) -> Self {
        Seconds(Duration::from_secs(seconds))
    }
}

impl<'de, const MIN: u64> Deserialize<'de> for Seconds<MIN> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parse_text(deserializer, |text| {
            WholeNumber::<MIN>::parse(text).map(|n| Seconds::new(n.0))
        })
    }
}

/// An `http://` or `https://` URL with a host, kept without its trailing `/` so paths can be
/// appended with `format!("{url}/graphql")`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HttpUrl(pub String);

impl HttpUrl {
    /// Checks the scheme and that a host follows; no other URL syntax is checked.
    pub(crate) fn parse(text: &str) -> Result<Self, Invalid> {
        let lower = text.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"));
        match rest {
            Some(host)
                if !host.is_empty()
                    && !host.starts_with('/')
                    && !text.contains(char::is_whitespace) =>
            {
                Ok(HttpUrl(text.trim_end_matches('/').to_string()))
            }
            _ => Err(Invalid::new(text, "an http:// or https:// URL")),
        }
    }
}

impl<'de> Deserialize<'de> for HttpUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parse_text(deserializer, HttpUrl::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_take_the_usual_spellings_in_any_case() {
        for yes in ["true", "1", "YES", "On"] {
            assert_eq!(Flag::parse(yes).unwrap(), Flag(true));
        }
        for no in ["false", "0", "No", "OFF"] {
            assert_eq!(Flag::parse(no).unwrap(), Flag(false));
        }
        let err = Flag::parse("maybe").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#""maybe" is not valid; expected true or false"#
        );
    }

    #[test]
    fn whole_numbers_keep_their_minimum() {
        assert_eq!(WholeNumber::<30>::parse("30").unwrap(), WholeNumber(30));
        let err = WholeNumber::<30>::parse("29").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#""29" is not valid; expected a whole number ≥ 30"#
        );
        assert!(WholeNumber::<0>::parse("-1").is_err());
    }

    #[test]
    fn urls_need_a_scheme_and_a_host_and_lose_the_trailing_slash() {
        assert_eq!(
            HttpUrl::parse("HTTPS://q.example.com//").unwrap().0,
            "HTTPS://q.example.com"
        );
        for bad in [
            "q.example.com",
            "ftp://q",
            "https://",
            "https:///x",
            "http://a b",
        ] {
            assert!(HttpUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
