use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// A short, stable, machine-readable name for why an input was refused (`snake_case`), stored
/// next to the readable reason so dashboards, alarms and the failed-records index group
/// failures without parsing prose. Each transform names its own kinds; the pipeline's own are
/// the associated constants.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FailureKind(Cow<'static, str>);

impl FailureKind {
    /// The object is larger than `IMAGEPIPE_MAX_INPUT_BYTES` (refused before download when the
    /// event or the store tells its size).
    pub const TOO_MANY_BYTES: Self = Self::named("too_many_bytes");
    /// The object is gone: deleted before the function got to it (access denied is the
    /// deployment's fault, and retried).
    pub const SOURCE_UNREADABLE: Self = Self::named("source_unreadable");
    /// The transform panicked on this input.
    pub const INTERNAL: Self = Self::named("internal");

    /// A kind with a fixed name; a name that is not `snake_case` ASCII fails the build where it
    /// is declared as a constant.
    pub const fn named(name: &'static str) -> Self {
        assert!(is_snake_case(name), "failure kinds are snake_case ASCII");
        Self(Cow::Borrowed(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for FailureKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

const fn is_snake_case(name: &str) -> bool {
    let bytes = name.as_bytes();
    if bytes.is_empty() || !bytes[0].is_ascii_lowercase() {
        return false;
    }
    let mut i = 1;
    while i < bytes.len() {
        let b = bytes[i];
        if !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return false;
        }
        i += 1;
    }
    true
}

/// Why an input cannot be turned into outputs. Every failure a transform returns must be a
/// property of the input (or the settings), never of the environment: retrying the same bytes
/// gives the same failure, so the pipeline records it and moves on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{reason} ({kind})")]
pub struct Failure {
    pub kind: FailureKind,
    pub reason: String,
}

impl Failure {
    pub fn new(kind: FailureKind, reason: impl Into<String>) -> Self {
        Self {
            kind,
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_stored_as_their_names() {
        let failure = Failure::new(FailureKind::named("not_utf8"), "byte 3");
        let json = serde_json::to_string(&failure).expect("serialises");
        assert_eq!(json, r#"{"kind":"not_utf8","reason":"byte 3"}"#);
        let back: Failure = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, failure);
    }

    #[test]
    fn only_snake_case_names_are_kinds() {
        for good in ["corrupt", "too_many_bytes", "utf8_error2"] {
            assert!(is_snake_case(good), "{good}");
        }
        for bad in [
            "",
            "Corrupt",
            "two words",
            "kebab-case",
            "_leading",
            "9lives",
        ] {
            assert!(!is_snake_case(bad), "{bad}");
        }
    }
}
